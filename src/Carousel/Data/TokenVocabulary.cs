namespace Carousel.Data;

/// <summary>
/// Symbols (characters or whole tokens such as ARPAbet phonemes) with ids: the reserved symbols first —
/// padding 0, start 1, end 2 — then the symbols seen in training, sorted ordinally so the ids do not depend
/// on the order of the data. An unknown symbol is an error, never silently mapped.
/// </summary>
public sealed class TokenVocabulary
{
    /// <summary>The id of padding, "&lt;pad&gt;": fills positions past a sequence's end.</summary>
    public const int PadId = 0;

    /// <summary>The id of "&lt;s&gt;", the start symbol a decoder is fed first.</summary>
    public const int StartId = 1;

    /// <summary>The id of "&lt;/s&gt;", the end symbol that closes every target sequence.</summary>
    public const int EndId = 2;

    /// <summary>The reserved symbols by id: "&lt;pad&gt;", "&lt;s&gt;", "&lt;/s&gt;".</summary>
    public static readonly string[] Reserved = ["<pad>", "<s>", "</s>"];

    private readonly Dictionary<string, int> _ids;

    /// <summary>Every symbol by id, reserved ones included.</summary>
    public IReadOnlyList<string> Symbols { get; }

    /// <summary>The number of symbols, reserved ones included: ids run from 0 to Count − 1.</summary>
    public int Count => Symbols.Count;

    /// <summary>The vocabulary of the given symbols (any order, duplicates dropped) after the reserved ones.</summary>
    public TokenVocabulary(IEnumerable<string> symbols)
    {
        var own = symbols.Where(s => Array.IndexOf(Reserved, s) < 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        Symbols = [.. Reserved, .. own];
        _ids = new Dictionary<string, int>(Symbols.Count, StringComparer.Ordinal);
        for (int i = 0; i < Symbols.Count; i++) _ids[Symbols[i]] = i;
    }

    /// <summary>The vocabulary as saved in a checkpoint: every symbol by id, reserved ones first.</summary>
    public static TokenVocabulary FromSymbols(IReadOnlyList<string> symbols)
    {
        if (symbols.Count < Reserved.Length || !symbols.Take(Reserved.Length).SequenceEqual(Reserved))
            throw new InvalidDataException("A saved vocabulary must start with " + string.Join(" ", Reserved) + ".");
        var vocabulary = new TokenVocabulary(symbols);
        if (!vocabulary.Symbols.SequenceEqual(symbols)) throw new InvalidDataException("A saved vocabulary must hold distinct symbols in ordinal order.");
        return vocabulary;
    }

    /// <summary>Whether the symbol has an id (reserved symbols included).</summary>
    public bool Contains(string symbol) => _ids.ContainsKey(symbol);

    /// <summary>The ids of the symbols; an unknown one is an error naming it and <paramref name="where"/>.</summary>
    public int[] Encode(IReadOnlyList<string> symbols, string where)
    {
        var ids = new int[symbols.Count];
        for (int i = 0; i < ids.Length; i++)
            if (!_ids.TryGetValue(symbols[i], out ids[i]) || ids[i] < Reserved.Length)
                throw new InvalidDataException($"{where}: symbol '{symbols[i]}' was never seen in training.");
        return ids;
    }

    /// <summary>The symbols of ids, stopping at the end symbol and skipping padding and start.</summary>
    public string[] Decode(IEnumerable<int> ids)
    {
        var symbols = new List<string>();
        foreach (int id in ids)
        {
            if (id == EndId) break;
            if (id >= Reserved.Length) symbols.Add(Symbols[id]);
        }
        return [.. symbols];
    }
}
