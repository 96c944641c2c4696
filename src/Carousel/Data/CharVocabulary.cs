using System.Text;

namespace Carousel.Data;

/// <summary>
/// The characters of a text, sorted by code point, each with an id (as char-rnn and nanoGPT do).
/// Characters are Unicode scalar values (a surrogate pair is one character).
/// </summary>
public sealed class CharVocabulary
{
    private readonly Dictionary<int, int> _ids;

    /// <summary>The characters as Unicode code points in ascending order; a character's id is its index here.</summary>
    public IReadOnlyList<int> CodePoints { get; }

    /// <summary>The number of distinct characters, V: ids run from 0 to V − 1.</summary>
    public int Count => CodePoints.Count;

    /// <summary>The vocabulary of the given code points (duplicates are dropped, order does not matter); at least one.</summary>
    public CharVocabulary(IEnumerable<int> codePoints)
    {
        CodePoints = codePoints.Distinct().Order().ToArray();
        if (CodePoints.Count == 0) throw new ArgumentException("A vocabulary needs at least one character.");
        _ids = new Dictionary<int, int>(CodePoints.Count);
        for (int i = 0; i < CodePoints.Count; i++) _ids[CodePoints[i]] = i;
    }

    /// <summary>The vocabulary of every distinct character that occurs in <paramref name="text"/>.</summary>
    public static CharVocabulary FromText(string text) => new(ScalarValues(text));

    /// <summary>Whether the character (a Unicode code point) has an id.</summary>
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

    /// <summary>The character with this id, as a string (two UTF-16 units for a surrogate pair).</summary>
    public string Decode(int id) => char.ConvertFromUtf32(CodePoints[id]);

    /// <summary>The text spelled by a sequence of ids.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var sb = new StringBuilder();
        foreach (int id in ids) sb.Append(Decode(id));
        return sb.ToString();
    }

    /// <summary>All characters in id order as one string, the form checkpoints store and <see cref="Parse"/> reads back.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (int cp in CodePoints) sb.Append(char.ConvertFromUtf32(cp));
        return sb.ToString();
    }

    /// <summary>The vocabulary whose characters are those of <paramref name="characters"/> (as written by <see cref="ToString"/>).</summary>
    public static CharVocabulary Parse(string characters) => new(ScalarValues(characters));

    /// <summary>The characters of <paramref name="text"/> as Unicode code points, joining surrogate pairs; a lone surrogate stays as is.</summary>
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
