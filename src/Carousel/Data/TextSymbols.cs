using System.Text;

namespace Carousel.Data;

/// <summary>What a text is read as: Unicode characters, the bytes of its UTF-8 encoding, or words.</summary>
public enum SymbolLevel
{
    /// <summary>One symbol per Unicode character, from an alphabet learnt on the training texts.</summary>
    Chars,

    /// <summary>One symbol per byte of the UTF-8 encoding: a fixed alphabet of 256 that never meets an unknown symbol.</summary>
    Bytes,

    /// <summary>One symbol per word (a run of non-whitespace characters, case kept), from a vocabulary learnt on the training texts.</summary>
    Words,
}

/// <summary>
/// Turns texts into symbol ids for models that read whole texts (classifiers): at most the first
/// <see cref="MaxLength"/> characters or UTF-8 bytes, id 0 for the unknown symbol. At character level the
/// alphabet is the training texts' characters seen at least a minimum number of times; any other character
/// (unseen in training, or too rare to learn from) reads as unknown, so new input never fails to encode.
/// At byte level the alphabet is the 256 byte values (id = byte + 1) and nothing is unknown. At word level a text is
/// split at whitespace and the vocabulary is the training texts' words seen at least the minimum number of times (in
/// ordinal order); <see cref="MaxLength"/> then counts words.
/// </summary>
public sealed class TextSymbols
{
    /// <summary>The id (0) of every character outside the alphabet.</summary>
    public const int UnknownId = 0;
    private const int ByteAlphabet = 256;

    /// <summary>Whether texts are read as characters or as UTF-8 bytes.</summary>
    public SymbolLevel Level { get; }

    /// <summary>The most symbols read from one text; the rest of a longer text is ignored.</summary>
    public int MaxLength { get; }

    /// <summary>The known characters (character level only).</summary>
    public CharVocabulary? Characters { get; }

    /// <summary>The known words in id order (ids 1..; word level only).</summary>
    public IReadOnlyList<string>? Words { get; }
    private readonly Dictionary<string, int>? _wordIds;

    /// <summary>The number of ids, the unknown symbol included: ids run from 0 to Count − 1.</summary>
    public int Count => Level switch
    {
        SymbolLevel.Bytes => ByteAlphabet + 1,
        SymbolLevel.Words => Words!.Count + 1,
        _ => Characters!.Count + 1,
    };

    /// <summary>Symbols at <paramref name="level"/> reading at most <paramref name="maxLength"/> per text; character level needs <paramref name="characters"/>, word level <paramref name="words"/>.</summary>
    public TextSymbols(SymbolLevel level, int maxLength, CharVocabulary? characters = null, IReadOnlyList<string>? words = null)
    {
        if (maxLength <= 0) throw new SettingException("MaxLength", $"MaxLength must be positive, got {maxLength}.");
        if (level == SymbolLevel.Chars && characters is null) throw new ArgumentException("Character level needs a vocabulary.");
        if (level == SymbolLevel.Words && (words is null || words.Count == 0)) throw new ArgumentException("Word level needs a vocabulary.");
        Level = level;
        MaxLength = maxLength;
        Characters = level == SymbolLevel.Chars ? characters : null;
        if (level == SymbolLevel.Words)
        {
            Words = [.. words!];
            _wordIds = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < words!.Count; i++)
                if (words[i].Length == 0 || words[i].Any(char.IsWhiteSpace) || !_wordIds.TryAdd(words[i], i + 1))
                    throw new ArgumentException($"The word vocabulary holds an empty, spaced or repeated word at {i}.");
        }
    }

    /// <summary>The words of a text: its runs of non-whitespace characters.</summary>
    public static string[] SplitWords(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The symbols of the training texts (their first <paramref name="maxLength"/> characters) seen at least <paramref name="minCount"/> times.</summary>
    public static TextSymbols Build(SymbolLevel level, int maxLength, IEnumerable<string> texts, int minCount = 1)
    {
        if (level == SymbolLevel.Bytes) return new TextSymbols(level, maxLength);
        if (minCount < 1) throw new SettingException("MinCount", $"MinCount must be at least 1, got {minCount}.");
        if (level == SymbolLevel.Words)
        {
            var wordCounts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var text in texts)
                foreach (var word in SplitWords(text).Take(maxLength)) wordCounts[word] = wordCounts.GetValueOrDefault(word) + 1;
            var keptWords = wordCounts.Where(kv => kv.Value >= minCount).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
            if (keptWords.Count == 0) throw new SettingException("MinCount", $"No word occurs at least {minCount} times in the training texts; lower MinCount.");
            return new TextSymbols(level, maxLength, words: keptWords);
        }
        var counts = new Dictionary<int, int>();
        foreach (var text in texts)
        {
            int n = 0;
            foreach (int cp in CharVocabulary.ScalarValues(text))
            {
                if (n++ >= maxLength) break;
                counts[cp] = counts.GetValueOrDefault(cp) + 1;
            }
        }
        var kept = counts.Where(kv => kv.Value >= minCount).Select(kv => kv.Key).ToList();
        if (kept.Count == 0) throw new SettingException("MinCount", $"No character occurs at least {minCount} times in the training texts; lower MinCount.");
        return new TextSymbols(level, maxLength, new CharVocabulary(kept));
    }

    /// <summary>The ids of the text's first <see cref="MaxLength"/> characters, bytes or words (never empty for a text with a non-space character).</summary>
    public int[] Encode(string text)
    {
        if (Level == SymbolLevel.Words)
            return [.. SplitWords(text).Take(MaxLength).Select(w => _wordIds!.TryGetValue(w, out int id) ? id : UnknownId)];
        if (Level == SymbolLevel.Bytes)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            var byteIds = new int[Math.Min(bytes.Length, MaxLength)];
            for (int i = 0; i < byteIds.Length; i++) byteIds[i] = bytes[i] + 1;
            return byteIds;
        }
        var ids = new List<int>(Math.Min(text.Length, MaxLength));
        foreach (int cp in CharVocabulary.ScalarValues(text))
        {
            if (ids.Count == MaxLength) break;
            ids.Add(Characters!.TryGetId(cp, out int id) ? id + 1 : UnknownId);
        }
        return [.. ids];
    }

    /// <summary>The form checkpoints store: level, maximum length and alphabet as plain values.</summary>
    public TextSymbolsRecord ToRecord() => new(Level.ToString().ToLowerInvariant(), MaxLength, Characters?.ToString() ?? "", Words?.ToArray());

    /// <summary>The symbols saved by <see cref="ToRecord"/>.</summary>
    public static TextSymbols FromRecord(TextSymbolsRecord r)
    {
        var level = ParseLevel(r.Level);
        return new TextSymbols(level, r.MaxLength, level == SymbolLevel.Chars ? CharVocabulary.Parse(r.Characters) : null, level == SymbolLevel.Words ? r.Words : null);
    }

    /// <summary>The level named "chars", "bytes" or "words" (any case, singular too), as the CLI's --level takes it.</summary>
    public static SymbolLevel ParseLevel(string text) => text.ToLowerInvariant() switch
    {
        "chars" or "char" => SymbolLevel.Chars,
        "bytes" or "byte" => SymbolLevel.Bytes,
        "words" or "word" => SymbolLevel.Words,
        _ => throw new SettingException("Level", $"Unknown Level '{text}': expected chars, bytes or words."),
    };
}

/// <summary>The stored form of <see cref="TextSymbols"/>.</summary>
/// <param name="Level">"chars", "bytes" or "words".</param>
/// <param name="MaxLength">The most symbols read from one text.</param>
/// <param name="Characters">The alphabet in id order (empty at byte and word level).</param>
/// <param name="Words">The word vocabulary in id order (word level only; absent in checkpoints of the other levels).</param>
public sealed record TextSymbolsRecord(string Level, int MaxLength, string Characters,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string[]? Words = null);
