namespace Carousel.Data.Tasks;

/// <summary>
/// The context-sensitive language aⁿbⁿcⁿ as a next-symbol prediction task (Gers &amp; Schmidhuber 2001,
/// "LSTM recurrent networks learn simple context-free and context-sensitive languages"). Strings are
/// <c>S aⁿ bⁿ cⁿ T</c> with start symbol S and end symbol T, one-hot over <see cref="Alphabet"/>
/// (S = 0, a = 1, b = 2, c = 3, T = 4).
///
/// The model reads one symbol per step and predicts the <em>set</em> of legal next symbols. A string of
/// length 3n + 2 is read as 3n + 1 input steps (S and the n a's, b's and c's; T is only ever a target). The
/// legal sets are:
/// <code>
///   after S        {a, T}   ({a} when the empty string n = 0 is excluded)
///   after an a     {a, b}
///   after b_j      {b} for j &lt; n, {c} for j = n   (once b's begin, n is known)
///   after c_k      {c} for k &lt; n, {T} for k = n
/// </code>
/// e.g. n = 3: input S a a a b b b c c c, targets {a,T} {a,b} {a,b} {a,b} {b} {b} {c} {c} {c} {T}.
/// A string is accepted when every step's prediction is right (<see cref="LegalSets.StepCorrect"/>,
/// outputs above 0.5 are exactly the legal set). The paper trains on n = 1..N (all of them, presented in random
/// order) and tests generalisation on n = 1..M for M well beyond N (<see cref="Range"/>, <see cref="Shuffled"/>).
///
/// Choice: with <see cref="IncludeEmpty"/> (default, as in the paper's setup where n = 0 counts as a possible
/// string) T is legal after S even though training uses n ≥ 1; pass <c>includeEmpty: false</c> for the
/// language with n ≥ 1 only, where the set after S is {a}.
/// </summary>
public sealed class AnBnCn
{
    /// <summary>The symbols in one-hot order.</summary>
    public const string Alphabet = "SabcT";

    /// <summary>The number of symbols, the one-hot width (5).</summary>
    public const int SymbolCount = 5;

    /// <summary>The index of the start symbol S.</summary>
    public const int S = 0;

    /// <summary>The index of the symbol a.</summary>
    public const int A = 1;

    /// <summary>The index of the symbol b.</summary>
    public const int B = 2;

    /// <summary>The index of the symbol c.</summary>
    public const int C = 3;

    /// <summary>The index of the end symbol T.</summary>
    public const int T = 4;

    private readonly Random _rng;

    /// <summary>Whether n = 0 (the string "ST") is in the language, making T legal right after S.</summary>
    public bool IncludeEmpty { get; }

    /// <summary>A generator of the language's strings and their legal-next sets, with seeded random orders.</summary>
    /// <param name="seed">Seed for <see cref="Shuffled"/> and <see cref="Sample"/>.</param>
    /// <param name="includeEmpty">Whether n = 0 belongs to the language (see the class remarks).</param>
    public AnBnCn(int seed, bool includeEmpty = true)
    {
        _rng = new Random(seed);
        IncludeEmpty = includeEmpty;
    }

    /// <summary>The string S aⁿ bⁿ cⁿ T.</summary>
    public static string Make(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return "S" + new string('a', n) + new string('b', n) + new string('c', n) + "T";
    }

    /// <summary>Whether <paramref name="s"/> is S aⁿ bⁿ cⁿ T for some n ≥ 1 (n ≥ 0 with <see cref="IncludeEmpty"/>).</summary>
    public bool IsMember(string s)
    {
        if (s.Length < 2 || (s.Length - 2) % 3 != 0) return false;
        int n = (s.Length - 2) / 3;
        return (n > 0 || IncludeEmpty) && s == Make(n);
    }

    /// <summary>
    /// The mask of symbols that may legally follow <paramref name="prefix"/>, or 0 if no string of the language
    /// starts with it or it is already a complete string.
    /// </summary>
    public int LegalNext(string prefix)
    {
        if (prefix.Length == 0) return 1 << S;
        if (prefix[0] != 'S') return 0;
        int i = 1, na = 0, nb = 0, nc = 0;
        while (i < prefix.Length && prefix[i] == 'a') { na++; i++; }
        while (i < prefix.Length && prefix[i] == 'b') { nb++; i++; }
        while (i < prefix.Length && prefix[i] == 'c') { nc++; i++; }
        if (i == prefix.Length - 1 && prefix[i] == 'T')
            return 0; // a complete string (or garbage ending in T): nothing may follow
        if (i != prefix.Length || nb > na || nc > nb || (nc > 0 && nb < na)) return 0;
        if (na == 0) return 1 << A | (IncludeEmpty ? 1 << T : 0);   // "S"
        if (nb == 0) return 1 << A | 1 << B;                         // S a^i
        if (nc == 0) return nb < na ? 1 << B : 1 << C;               // S a^n b^j
        return nc < na ? 1 << C : 1 << T;                            // S a^n b^n c^k
    }

    /// <summary>
    /// [3n + 1] legal-next masks of the string S aⁿ bⁿ cⁿ T: element t is the set after its first t + 1 symbols.
    /// </summary>
    public int[] LegalNextSets(int n)
    {
        CheckN(n);
        var masks = new int[3 * n + 1];
        masks[0] = 1 << A | (IncludeEmpty ? 1 << T : 0);            // after S
        for (int j = 1; j <= n; j++)
        {
            masks[j] = 1 << A | 1 << B;                              // after a_j
            masks[n + j] = j < n ? 1 << B : 1 << C;                  // after b_j
            masks[2 * n + j] = j < n ? 1 << C : 1 << T;              // after c_j
        }
        return masks;
    }

    /// <summary>As <see cref="LegalNextSets(int)"/> for a member string.</summary>
    public int[] LegalNextSets(string s)
    {
        if (!IsMember(s)) throw new ArgumentException($"\"{s}\" is not in the language.");
        return LegalNextSets((s.Length - 2) / 3);
    }

    /// <summary>n = nMin, nMin + 1, …, nMax (a training set 1..N or a test set 1..M).</summary>
    public static int[] Range(int nMin, int nMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nMin);
        ArgumentOutOfRangeException.ThrowIfLessThan(nMax, nMin);
        var ns = new int[nMax - nMin + 1];
        for (int i = 0; i < ns.Length; i++) ns[i] = nMin + i;
        return ns;
    }

    /// <summary>nMin..nMax, each once, in a seeded random order (one epoch of the paper's training set).</summary>
    public int[] Shuffled(int nMin, int nMax)
    {
        var ns = Range(nMin, nMax);
        _rng.Shuffle(ns);
        return ns;
    }

    /// <summary><paramref name="count"/> values of n drawn uniformly from nMin..nMax.</summary>
    public int[] Sample(int count, int nMin, int nMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(nMin);
        ArgumentOutOfRangeException.ThrowIfLessThan(nMax, nMin);
        var ns = new int[count];
        for (int i = 0; i < count; i++) ns[i] = nMin + _rng.Next(nMax - nMin + 1);
        return ns;
    }

    /// <summary>
    /// Encodes the strings for the given n's into a padded time-major batch: inputs [T, B, 5] one-hot
    /// (S aⁿ bⁿ cⁿ, no T), targets [T, B, 5] legal-next sets, masks [T, B], lengths [B] = 3n + 1, T = the longest.
    /// </summary>
    public SymbolPredictionBatch Encode(IReadOnlyList<int> ns)
    {
        var strings = new string[ns.Count];
        var masks = new int[ns.Count][];
        for (int b = 0; b < ns.Count; b++)
        {
            strings[b] = Make(ns[b]);
            masks[b] = LegalNextSets(ns[b]);
        }
        return LegalSets.Encode(strings, masks, Alphabet);
    }

    /// <summary>
    /// Whether a model accepts S aⁿ bⁿ cⁿ T: at each of its 3n + 1 steps the outputs above
    /// <paramref name="threshold"/> are exactly the legal next symbols.
    /// </summary>
    /// <param name="n">The string's n.</param>
    /// <param name="probabilities">[3n + 1, 5] the per-step outputs for the string.</param>
    /// <param name="threshold">A symbol counts as predicted when its output is above this.</param>
    public bool Accepts(int n, ReadOnlySpan<float> probabilities, float threshold = LegalSets.DefaultThreshold) =>
        LegalSets.AllStepsCorrect(probabilities, LegalNextSets(n), SymbolCount, threshold);

    private void CheckN(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (n == 0 && !IncludeEmpty) throw new ArgumentOutOfRangeException(nameof(n), "n = 0 is not in the language unless includeEmpty is set.");
    }
}
