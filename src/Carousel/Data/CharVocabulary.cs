using System.Text;

namespace Carousel.Data;

/// <summary>
/// The characters of a text, sorted by code point, each with an id (as char-rnn and nanoGPT do).
/// Characters are Unicode scalar values (a surrogate pair is one character).
/// </summary>
public sealed class CharVocabulary
{
    private readonly Dictionary<int, int> _ids;

    public IReadOnlyList<int> CodePoints { get; }
    public int Count => CodePoints.Count;

    public CharVocabulary(IEnumerable<int> codePoints)
    {
        CodePoints = codePoints.Distinct().Order().ToArray();
        if (CodePoints.Count == 0) throw new ArgumentException("A vocabulary needs at least one character.");
        _ids = new Dictionary<int, int>(CodePoints.Count);
        for (int i = 0; i < CodePoints.Count; i++) _ids[CodePoints[i]] = i;
    }

    public static CharVocabulary FromText(string text) => new(ScalarValues(text));

    public bool Contains(int codePoint) => _ids.ContainsKey(codePoint);

    /// <summary>The id of one character, without an error for an unknown one.</summary>
    public bool TryGetId(int codePoint, out int id) => _ids.TryGetValue(codePoint, out id);

    /// <summary>The ids of a text; an unknown character is an <see cref="InvalidDataException"/> that names it and its position.</summary>
    public int[] Encode(string text)
    {
        var ids = new List<int>(text.Length);
        int position = 0;
        foreach (int cp in ScalarValues(text))
        {
            if (!_ids.TryGetValue(cp, out int id))
                throw new InvalidDataException($"Character {Describe(cp)} at position {position} is not in the model's vocabulary of {Count} characters.");
            ids.Add(id);
            position++;
        }
        return [.. ids];
    }

    public string Decode(int id) => char.ConvertFromUtf32(CodePoints[id]);

    public string Decode(IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        foreach (int id in ids) sb.Append(Decode(id));
        return sb.ToString();
    }

    /// <summary>The vocabulary as a string (for checkpoints).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (int cp in CodePoints) sb.Append(char.ConvertFromUtf32(cp));
        return sb.ToString();
    }

    public static CharVocabulary Parse(string characters) => new(ScalarValues(characters));

    public static IEnumerable<int> ScalarValues(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                yield return char.ConvertToUtf32(text[i], text[i + 1]);
                i++;
            }
            else yield return text[i];
        }
    }

    private static string Describe(int cp) =>
        cp is >= 0x20 and < 0x7F ? $"'{(char)cp}'" : $"U+{cp:X4}" + (cp >= 0x20 && !char.IsSurrogate((char)Math.Min(cp, 0xFFFF)) ? $" '{char.ConvertFromUtf32(cp)}'" : "");
}
