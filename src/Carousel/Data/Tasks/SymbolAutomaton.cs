namespace Carousel.Data.Tasks;

/// <summary>
/// A deterministic finite automaton over a small alphabet: the recogniser, legal-next-set oracle and
/// random generator behind the Reber grammars. A string is accepted when reading it from the start
/// state ends in the final state, which has no outgoing edges.
/// </summary>
internal sealed class SymbolAutomaton
{
    private readonly int[] _next; // [states, symbols], −1 = no edge
    private readonly int _symbols;

    public string Alphabet { get; }
    public int Start { get; }
    public int Final { get; }

    public SymbolAutomaton(string alphabet, int states, int start, int final, IEnumerable<(int From, char Symbol, int To)> edges)
    {
        Alphabet = alphabet;
        _symbols = alphabet.Length;
        Start = start;
        Final = final;
        _next = new int[states * _symbols];
        Array.Fill(_next, -1);
        foreach (var (from, symbol, to) in edges)
        {
            int i = from * _symbols + LegalSets.SymbolIndex(symbol, alphabet);
            if (_next[i] >= 0) throw new ArgumentException($"State {from} has two edges labelled '{symbol}'.");
            _next[i] = to;
        }
    }

    /// <summary>The state after reading <paramref name="symbol"/> in <paramref name="state"/>, or −1 if there is no such edge.</summary>
    public int Step(int state, int symbol) => state < 0 ? -1 : _next[state * _symbols + symbol];

    /// <summary>Bit mask of the symbols with an edge out of <paramref name="state"/>.</summary>
    public int LegalMask(int state)
    {
        int mask = 0;
        for (int v = 0; v < _symbols; v++)
            if (_next[state * _symbols + v] >= 0) mask |= 1 << v;
        return mask;
    }

    public bool Accepts(string s)
    {
        int state = Start;
        foreach (char c in s)
        {
            int v = Alphabet.IndexOf(c);
            if (v < 0) return false;
            state = Step(state, v);
            if (state < 0) return false;
        }
        return state == Final;
    }

    /// <summary>
    /// The legal set after each proper prefix of an accepted string: element t is the set after
    /// s[0 .. t], for t = 0 .. L−2.
    /// </summary>
    public int[] LegalNextMasks(string s)
    {
        if (!Accepts(s)) throw new ArgumentException($"\"{s}\" is not in the language.");
        var masks = new int[s.Length - 1];
        int state = Start;
        for (int t = 0; t < s.Length - 1; t++)
        {
            state = Step(state, Alphabet.IndexOf(s[t]));
            masks[t] = LegalMask(state);
        }
        return masks;
    }

    /// <summary>A random walk from start to final, choosing uniformly among the edges where there is a choice.</summary>
    public string Generate(Random rng)
    {
        var chars = new List<char>();
        Span<int> choices = stackalloc int[_symbols];
        int state = Start;
        while (state != Final)
        {
            int n = 0;
            for (int v = 0; v < _symbols; v++)
                if (_next[state * _symbols + v] >= 0) choices[n++] = v;
            if (n == 0) throw new InvalidOperationException($"State {state} is a dead end.");
            int pick = n == 1 ? choices[0] : choices[rng.Next(n)];
            chars.Add(Alphabet[pick]);
            state = _next[state * _symbols + pick];
        }
        return new string(chars.ToArray());
    }
}
