using System.Text;

namespace Carousel.Data;

/// <summary>How a source text is cut into symbols: characters (spelling) or space-separated words.</summary>
public enum SourceTokens
{
    /// <summary>Each character (Unicode scalar value) is a symbol, as for spelling-to-pronunciation.</summary>
    Chars,

    /// <summary>Each space-separated word is a symbol.</summary>
    Words,
}

/// <summary>One line of a pair file: the source and target symbols, and where it came from (1-based line).</summary>
/// <param name="Source">The source symbols (characters or words), at least one.</param>
/// <param name="Target">The target tokens (such as phonemes), at least one.</param>
/// <param name="Line">The 1-based line number in the file, or 0 when the pair did not come from a file.</param>
public sealed record SequencePair(string[] Source, string[] Target, int Line);

/// <summary>
/// Reads `SOURCE&lt;TAB&gt;TARGET` files for sequence-to-sequence tasks (CMUdict: `WORD&lt;TAB&gt;PHONEMES`): the source
/// as characters or words, the target as space-separated tokens. A malformed line (no tab, more than one, an empty
/// side) is an error naming the file and line; blank lines are skipped.
/// </summary>
public static class SequencePairs
{
    /// <summary>The <see cref="SourceTokens"/> named "chars" or "words" (any case), as the CLI takes it.</summary>
    public static SourceTokens ParseSourceTokens(string name) => name.ToLowerInvariant() switch
    {
        "chars" => SourceTokens.Chars,
        "words" => SourceTokens.Words,
        _ => throw new SettingException("SourceTokens", $"Unknown SourceTokens '{name}': expected chars or words."),
    };

    /// <summary>Every pair of a UTF-8 `SOURCE&lt;TAB&gt;TARGET` file, in file order; a file without any is an error.</summary>
    /// <param name="path">The file.</param>
    /// <param name="sourceTokens">How the source is cut into symbols.</param>
    /// <param name="maxLength">The most source symbols and the most target tokens of a pair: a longer side is refused naming its
    /// file:line, counted before it is split into symbols (a 10-million-character source took gigabytes as symbols).</param>
    public static List<SequencePair> Read(string path, SourceTokens sourceTokens, int maxLength = int.MaxValue)
    {
        if (maxLength <= 0) throw new SettingException("MaxLength", $"MaxLength must be positive, got {maxLength}.");
        if (!File.Exists(path)) throw new FileNotFoundException($"No such file: '{path}'.", path);
        var pairs = new List<SequencePair>();
        int lineNumber = 0;
        using var reader = new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        try
        {
            for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                pairs.Add(Parse(line, sourceTokens, $"{path}:{lineNumber}", lineNumber, maxLength));
            }
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"{path}:{lineNumber + 1}: not valid UTF-8.");
        }
        if (pairs.Count == 0) throw new InvalidDataException($"{path}: no SOURCE<TAB>TARGET lines.");
        return pairs;
    }

    /// <summary>The pair on one `SOURCE&lt;TAB&gt;TARGET` line; <paramref name="where"/> names the line in errors.</summary>
    /// <param name="line">The line.</param>
    /// <param name="sourceTokens">How the source is cut into symbols.</param>
    /// <param name="where">"file:line", the start of every error.</param>
    /// <param name="lineNumber">The 1-based line number the pair records.</param>
    /// <param name="maxLength">The most source symbols and target tokens: a longer side is refused (before it is split).</param>
    public static SequencePair Parse(string line, SourceTokens sourceTokens, string where, int lineNumber = 0, int maxLength = int.MaxValue)
    {
        int tab = line.IndexOf('\t');
        if (tab < 0) throw new InvalidDataException($"{where}: expected SOURCE<TAB>TARGET, found no tab.");
        if (line.IndexOf('\t', tab + 1) >= 0) throw new InvalidDataException($"{where}: expected one tab, found more.");
        long sourceLength = sourceTokens == SourceTokens.Words ? CountWords(line.AsSpan(0, tab)) : CountRunes(line.AsSpan(0, tab).Trim());
        long targetLength = CountWords(line.AsSpan(tab + 1));
        if (sourceLength > maxLength || targetLength > maxLength)
            throw new InvalidDataException($"{where}: the {(sourceLength > maxLength ? $"source has {sourceLength:N0} {(sourceTokens == SourceTokens.Words ? "words" : "characters")}" : $"target has {targetLength:N0} tokens")}, " +
                                           $"more than MaxLength {maxLength}; raise MaxLength or leave the pair out.").Naming("MaxLength");
        var source = SplitSource(line[..tab].Trim(), sourceTokens);
        var target = SplitWords(line[(tab + 1)..]);
        if (source.Length == 0) throw new InvalidDataException($"{where}: the source is empty.");
        if (target.Length == 0) throw new InvalidDataException($"{where}: the target is empty.");
        return new SequencePair(source, target, lineNumber);
    }

    /// <summary>The symbols of a source text: its characters (Unicode scalar values) or its space-separated words.</summary>
    public static string[] SplitSource(string text, SourceTokens sourceTokens)
    {
        if (sourceTokens == SourceTokens.Words) return SplitWords(text);
        var symbols = new List<string>(text.Length);
        foreach (var rune in text.EnumerateRunes()) symbols.Add(rune.ToString());
        return [.. symbols];
    }

    private static long CountRunes(ReadOnlySpan<char> text)
    {
        long n = 0;
        foreach (var _ in text.EnumerateRunes()) n++;
        return n;
    }

    // As SplitWords would count them: runs of characters other than space and tab.
    private static long CountWords(ReadOnlySpan<char> text)
    {
        long n = 0;
        bool inWord = false;
        foreach (char c in text)
        {
            bool separator = c is ' ' or '\t';
            if (!separator && !inWord) n++;
            inWord = !separator;
        }
        return n;
    }

    /// <summary>The words of <paramref name="text"/>, split on spaces and tabs, without empty entries.</summary>
    public static string[] SplitWords(string text) => text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The source as written back: characters joined directly, words with spaces.</summary>
    public static string JoinSource(IEnumerable<string> symbols, SourceTokens sourceTokens) =>
        string.Join(sourceTokens == SourceTokens.Words ? " " : "", symbols);

    /// <summary>Groups pairs by source (first-seen order): each source with all its targets (several pronunciations).</summary>
    public static List<(string[] Source, List<string[]> Targets)> GroupBySource(IEnumerable<SequencePair> pairs)
    {
        var groups = new List<(string[] Source, List<string[]> Targets)>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            string key = string.Join("\u0001", pair.Source);
            if (!index.TryGetValue(key, out int i))
            {
                i = groups.Count;
                index[key] = i;
                groups.Add((pair.Source, new List<string[]>()));
            }
            groups[i].Targets.Add(pair.Target);
        }
        return groups;
    }
}
