namespace Carousel.Data.Tagging;

/// <summary>
/// One sequence to tag: a text and, when known, one label per character (Unicode scalar value, as
/// <see cref="CharVocabulary"/> counts them). <paramref name="Source"/> says where it came from ("file:line 3"),
/// for error messages.
/// </summary>
/// <param name="Text">The text, one input symbol per character.</param>
/// <param name="Labels">One label per character of <paramref name="Text"/>, or null when unknown (text to tag).</param>
/// <param name="Source">Where the example came from, e.g. "data.jsonl:line 3", for error messages.</param>
public sealed record TaggedExample(string Text, string[]? Labels, string Source)
{
    /// <summary>The number of characters of the text (a surrogate pair counts once), which is the number of labels.</summary>
    public int Length => CharacterCount(Text);

    /// <summary>A character (scalar value, or a lone surrogate as it came) as a string.</summary>
    public static string CharacterString(int codePoint) => codePoint <= char.MaxValue ? ((char)codePoint).ToString() : char.ConvertFromUtf32(codePoint);

    /// <summary>The first <paramref name="characters"/> characters of <paramref name="text"/> as <see cref="CharacterCount"/> counts them (a surrogate pair is one).</summary>
    public static string FirstCharacters(string text, int characters)
    {
        int i = 0;
        for (int n = 0; n < characters && i < text.Length; n++)
            i += char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
        return text[..i];
    }

    /// <summary>The number of characters of a text as the tagger counts them: a surrogate pair is one.</summary>
    public static int CharacterCount(string text)
    {
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            n++;
        }
        return n;
    }
}
