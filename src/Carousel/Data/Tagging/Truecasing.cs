using System.Text;

namespace Carousel.Data.Tagging;

/// <summary>
/// The truecasing task: restore the capitals of lowercased text. Input = the text lowercased; label per
/// character = <see cref="Upper"/> when the original character is a capital that lowercasing removed,
/// else <see cref="Lower"/> (kept as it is: small letters, digits, punctuation, spaces).
/// </summary>
/// <remarks>
/// The text is cut into blocks of whole lines: a block ends at a blank line (a speech in a play, a paragraph)
/// or before the line that would make it longer than the maximum length; a single longer line is cut into
/// pieces of the maximum length. The blocks, concatenated, are the text: every character is tagged exactly
/// once, and a block starts where a speaker's name or a paragraph does, so the model sees that context.
/// </remarks>
public static class Truecasing
{
    /// <summary>The label of a character that was a capital in the original text.</summary>
    public const string Upper = "upper";

    /// <summary>The label of a character kept as it is (small letters, digits, punctuation, spaces).</summary>
    public const string Lower = "lower";

    /// <summary>The labels, in the order the tagger's outputs use.</summary>
    public static readonly string[] Labels = [Lower, Upper];

    /// <summary>The lowercased text and, per character, whether the original was a capital.</summary>
    public static TaggedExample Derive(string text, string source)
    {
        var lowered = new StringBuilder(text.Length);
        var labels = new List<string>(text.Length);
        foreach (int cp in CharVocabulary.ScalarValues(text))
        {
            int lower = Lowercase(cp);
            // A capital only when lowercasing and uppercasing again gives it back, so restoration is exact.
            bool upper = lower != cp && Uppercase(lower) == cp;
            lowered.Append(TaggedExample.CharacterString(upper ? lower : cp));
            labels.Add(upper ? Upper : Lower);
        }
        return new TaggedExample(lowered.ToString(), [.. labels], source);
    }

    /// <summary>The text with the characters labelled <see cref="Upper"/> capitalised.</summary>
    public static string Restore(string text, IReadOnlyList<string> labels)
    {
        var restored = new StringBuilder(text.Length);
        int i = 0;
        foreach (int cp in CharVocabulary.ScalarValues(text))
        {
            if (i >= labels.Count) throw new ArgumentException($"The text has more characters than the {labels.Count} labels.");
            restored.Append(TaggedExample.CharacterString(labels[i++] == Upper ? Uppercase(cp) : cp));
        }
        if (i != labels.Count) throw new ArgumentException($"The text has {i} characters but there are {labels.Count} labels.");
        return restored.ToString();
    }

    /// <summary>The text lowercased as <see cref="Derive"/> does (the model's input).</summary>
    public static string Lowercase(string text) => Derive(text, "").Text;

    /// <summary>Cuts the text into blocks of whole lines (see the remarks); concatenated, they are the text.</summary>
    public static List<string> Blocks(string text, int maxLength)
    {
        if (maxLength <= 0) throw new SettingException("MaxLength", $"MaxLength must be positive, got {maxLength}.");
        var blocks = new List<string>();
        var block = new StringBuilder();
        int blockLength = 0; // in characters (scalar values)
        int start = 0;
        while (start < text.Length)
        {
            int newline = text.IndexOf('\n', start);
            int end = newline < 0 ? text.Length : newline + 1;
            string line = text[start..end];
            int lineLength = TaggedExample.CharacterCount(line);
            if (blockLength > 0 && blockLength + lineLength > maxLength) Flush();
            if (lineLength > maxLength)
            {
                foreach (var piece in Pieces(line, maxLength)) blocks.Add(piece);
            }
            else
            {
                block.Append(line);
                blockLength += lineLength;
                if (line == "\n" || line == "\r\n") Flush(); // a blank line ends a speech or paragraph
            }
            start = end;
        }
        Flush();
        return blocks;

        void Flush()
        {
            if (blockLength == 0) return;
            blocks.Add(block.ToString());
            block.Clear();
            blockLength = 0;
        }
    }

    // A line longer than the maximum, cut into pieces of at most maxLength characters (never inside a surrogate pair).
    private static IEnumerable<string> Pieces(string line, int maxLength)
    {
        var piece = new StringBuilder();
        int length = 0;
        foreach (int cp in CharVocabulary.ScalarValues(line))
        {
            piece.Append(TaggedExample.CharacterString(cp));
            if (++length == maxLength)
            {
                yield return piece.ToString();
                piece.Clear();
                length = 0;
            }
        }
        if (length > 0) yield return piece.ToString();
    }

    /// <summary>Truecasing examples for a text: its blocks, each lowercased and labelled.</summary>
    public static List<TaggedExample> Examples(string text, int maxLength, string source)
    {
        var examples = new List<TaggedExample>();
        int offset = 0;
        foreach (var block in Blocks(text, maxLength))
        {
            examples.Add(Derive(block, $"{source} at character {offset}"));
            offset += block.Length;
        }
        return examples;
    }

    /// <summary>
    /// Splits a text by position: the first (1 − f) trains, the last f is held out (the convention of
    /// <see cref="TextCorpus"/>). The cut never splits a surrogate pair.
    /// </summary>
    public static (string Train, string HeldOut) Split(string text, double heldOutFraction)
    {
        if (!(heldOutFraction >= 0 && heldOutFraction <= 1)) throw new ArgumentException($"The held-out fraction must be in [0, 1], got {heldOutFraction}.");
        int cut = (int)(text.Length * (1 - heldOutFraction));
        if (cut > 0 && cut < text.Length && char.IsLowSurrogate(text[cut])) cut--;
        return (text[..cut], text[cut..]);
    }

    /// <summary>
    /// A rule baseline to compare against: capitalise the first letter of every line, the first letter after
    /// a sentence end (. ! ?), and the word "i". Returns one label per character of the lowercased text.
    /// </summary>
    public static string[] Baseline(string lowered)
    {
        var labels = new List<string>(lowered.Length);
        bool capitaliseNext = true;
        int previous = '\n', index = 0;
        var characters = CharVocabulary.ScalarValues(lowered).ToArray();
        foreach (int cp in characters)
        {
            bool letter = cp <= char.MaxValue && char.IsLetter((char)cp);
            int next = index + 1 < characters.Length ? characters[index + 1] : ' ';
            bool standaloneI = cp == 'i' && !IsLetter(previous) && !IsLetter(next); // i, i'll, i'
            labels.Add(letter && (capitaliseNext || standaloneI) ? Upper : Lower);
            if (letter) capitaliseNext = false;
            if (cp is '.' or '!' or '?' or '\n') capitaliseNext = true;
            previous = cp;
            index++;
        }
        return [.. labels];

        static bool IsLetter(int c) => c <= char.MaxValue && char.IsLetter((char)c);
    }

    private static int Lowercase(int cp) => cp <= char.MaxValue && !char.IsSurrogate((char)cp) ? char.ToLowerInvariant((char)cp) : cp;
    private static int Uppercase(int cp) => cp <= char.MaxValue && !char.IsSurrogate((char)cp) ? char.ToUpperInvariant((char)cp) : cp;
}
