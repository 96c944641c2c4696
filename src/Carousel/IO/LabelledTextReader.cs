using System.Text;
using System.Text.Json;
using Carousel.Data;

namespace Carousel.IO;

/// <summary>
/// Reads labelled texts from the layouts users keep them in: JSON lines (plain or gzip, detected by the magic
/// bytes), a folder with one subfolder per label and one text file per example, or a plain file of one example per
/// line that all share a label. Every problem is an <see cref="InvalidDataException"/> naming the file and the
/// line, so a bad line is found without a debugger (JSON lines through <see cref="JsonLines"/>).
/// </summary>
public static class LabelledTextReader
{
    /// <summary>Reads a folder (subfolder per label) or a JSON lines file, whichever <paramref name="path"/> is.</summary>
    public static List<LabelledText> Read(string path, string textField = "text", string labelField = "label") =>
        Directory.Exists(path) ? ReadFolder(path) : ReadJsonLines(path, textField, labelField);

    /// <summary>Labelled texts from a JSON-lines file, one object per line (blank lines skipped); a label may be a string or a number.</summary>
    public static List<LabelledText> ReadJsonLines(string path, string textField = "text", string labelField = "label")
    {
        var examples = new List<LabelledText>();
        foreach (var json in JsonLines.Read(path))
        {
            string text = json.RequiredString(textField);
            string label = json.RequiredString(labelField, allowNumber: true);
            if (text.Length == 0) throw json.Error($"empty text in field '{textField}'.");
            if (label.Length == 0) throw json.Error($"empty label in field '{labelField}'.");
            examples.Add(new LabelledText(text, label));
        }
        if (examples.Count == 0) throw new InvalidDataException($"{path}: no examples.");
        return examples;
    }

    /// <summary>
    /// Texts with condition vectors from a JSON-lines file: one object per line with a text and an array of numbers of the
    /// same size on every line (training data for a conditioned generator beyond one-hot labels).
    /// </summary>
    public static List<ConditionedText> ReadConditionedJsonLines(string path, string textField = "text", string conditionField = "condition")
    {
        var examples = new List<ConditionedText>();
        foreach (var json in JsonLines.Read(path))
        {
            string text = json.RequiredString(textField);
            if (text.Length == 0) throw json.Error($"empty text in field '{textField}'.");
            var array = json.Required(conditionField);
            if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0)
                throw json.Error($"field '{conditionField}' must be a non-empty array of numbers.");
            var condition = new float[array.GetArrayLength()];
            int i = 0;
            foreach (var v in array.EnumerateArray())
            {
                if (v.ValueKind != JsonValueKind.Number || !float.IsFinite(v.GetSingle()))
                    throw json.Error($"field '{conditionField}' holds {v.GetRawText()}, not a finite number.");
                condition[i++] = v.GetSingle();
            }
            if (examples.Count > 0 && condition.Length != examples[0].Condition.Length)
                throw json.Error($"a condition of {condition.Length} values; earlier lines have {examples[0].Condition.Length}.");
            examples.Add(new ConditionedText(condition, text));
        }
        if (examples.Count == 0) throw new InvalidDataException($"{path}: no examples.");
        return examples;
    }

    /// <summary>Labelled texts from a folder laid out DIR/LABEL/any-file: each UTF-8 file is one example labelled by its subfolder's name (hidden files skipped).</summary>
    public static List<LabelledText> ReadFolder(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"No folder '{directory}'.");
        var examples = new List<LabelledText>();
        foreach (var labelDir in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
        {
            string label = Path.GetFileName(labelDir);
            if (label.StartsWith('.')) continue;
            foreach (var file in Directory.GetFiles(labelDir).Order(StringComparer.Ordinal))
            {
                if (Path.GetFileName(file).StartsWith('.')) continue;
                string text = Decode(File.ReadAllBytes(file), file);
                if (text.Length == 0) throw new InvalidDataException($"{file}: empty text.");
                examples.Add(new LabelledText(text, label));
            }
        }
        if (examples.Count == 0) throw new InvalidDataException($"{directory}: no examples (expected one subfolder per label, one text file per example).");
        return examples;
    }

    /// <summary>A plain text file (or gzip) with one example per line, all labelled <paramref name="label"/>. Blank lines are skipped.</summary>
    public static List<LabelledText> ReadLines(string path, string label)
    {
        if (label.Length == 0) throw new InvalidDataException($"An empty label for '{path}'.");
        var examples = new List<LabelledText>();
        foreach (var (line, _) in JsonLines.Lines(path))
            examples.Add(new LabelledText(line.Trim(), label));
        if (examples.Count == 0) throw new InvalidDataException($"{path}: no examples.");
        return examples;
    }

    /// <summary>
    /// Texts to classify, one per line: JSON lines (when the first non-blank line starts with '{'; the text is
    /// <paramref name="textField"/>) or plain lines. <paramref name="path"/> "-" reads standard input. Blank lines are
    /// an error, so that every output line answers one input line.
    /// </summary>
    public static List<string> ReadTexts(string path, string textField = "text")
    {
        var lines = path == "-" ? ReadAllLines(Console.In) : JsonLines.Lines(path, skipBlank: false).ToList();
        while (lines.Count > 0 && lines[^1].Line.Trim().Length == 0) lines.RemoveAt(lines.Count - 1); // a trailing newline
        string source = path == "-" ? "<stdin>" : path;
        bool json = lines.FirstOrDefault(l => l.Line.Trim().Length > 0).Line?.TrimStart().StartsWith('{') == true;
        var texts = new List<string>(lines.Count);
        foreach (var (line, number) in lines)
        {
            string text = line;
            if (json)
            {
                using var parsed = JsonLine.Parse(line, $"{source}:{number}");
                text = parsed.RequiredString(textField);
            }
            if (text.Trim().Length == 0) throw new InvalidDataException($"{source}:{number}: empty text.");
            texts.Add(text);
        }
        if (texts.Count == 0) throw new InvalidDataException($"{source}: no texts.");
        return texts;
    }

    private static List<(string Line, int Number)> ReadAllLines(TextReader reader)
    {
        var lines = new List<(string, int)>();
        for (string? line; (line = reader.ReadLine()) is not null;) lines.Add((line, lines.Count + 1));
        return lines;
    }

    private static string Decode(byte[] bytes, string file)
    {
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF'); }
        catch (DecoderFallbackException) { throw new InvalidDataException($"{file}: not valid UTF-8."); }
    }
}
