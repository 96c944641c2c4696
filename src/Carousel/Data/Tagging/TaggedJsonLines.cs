using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Carousel.Data.Tagging;

/// <summary>How the labels of a sequence are written in a JSON line.</summary>
public enum TagsFormat
{
    /// <summary>A string with one label character per text character: "text": "Hi", "tags": "UL".</summary>
    String,
    /// <summary>An array of label strings, one per text character: "tags": ["B-PER", "O"].</summary>
    Array,
}

/// <summary>
/// Reads tagging examples from JSON lines: one object per line with a text field and a tags field
/// (a string of one label character per text character, or an array of labels). Blank lines are skipped.
/// Every problem is an <see cref="InvalidDataException"/> naming the file and the line.
/// </summary>
public static class TaggedJsonLines
{
    // Non-ASCII text stays readable in the output rather than \uXXXX escapes.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="requireTags">false for prediction: the tags field may be absent.</param>
    public static List<TaggedExample> Read(string path, string textField, string tagsField, bool requireTags)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"File '{path}' does not exist.", path);
        var examples = new List<TaggedExample>();
        var strictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        int lineNumber = 0;
        try
        {
            using var reader = new StreamReader(path, strictUtf8, detectEncodingFromByteOrderMarks: true);
            while (reader.ReadLine() is { } line)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                examples.Add(Parse(line, $"{path}:{lineNumber}", textField, tagsField, requireTags));
            }
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"{path}:{lineNumber + 1}: not valid UTF-8.");
        }
        if (examples.Count == 0) throw new InvalidDataException($"{path}: no examples (the file is empty).");
        return examples;
    }

    /// <summary>Parses one JSON line; <paramref name="source"/> ("file:line") starts every error message.</summary>
    public static TaggedExample Parse(string line, string source, string textField, string tagsField, bool requireTags)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: not valid JSON ({e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: expected a JSON object, found {root.ValueKind.ToString().ToLowerInvariant()}.");
            if (!root.TryGetProperty(textField, out var textElement))
                throw new InvalidDataException($"{source}: missing field '{textField}' (the text; see --text-field).");
            if (textElement.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{source}: field '{textField}' must be a string.");
            string text = textElement.GetString()!;
            if (text.Length == 0) throw new InvalidDataException($"{source}: field '{textField}' is an empty sequence.");
            if (!root.TryGetProperty(tagsField, out var tagsElement))
            {
                if (requireTags) throw new InvalidDataException($"{source}: missing field '{tagsField}' (the labels; see --tags-field).");
                return new TaggedExample(text, null, source);
            }
            string[] labels = tagsElement.ValueKind switch
            {
                JsonValueKind.String => [.. CharVocabulary.ScalarValues(tagsElement.GetString()!).Select(TaggedExample.CharacterString)],
                JsonValueKind.Array => ReadLabelArray(tagsElement, source, tagsField),
                _ => throw new InvalidDataException($"{source}: field '{tagsField}' must be a string (one label character per character) or an array of labels."),
            };
            int characters = TaggedExample.CharacterCount(text);
            if (labels.Length != characters)
                throw new InvalidDataException($"{source}: '{textField}' has {characters} characters but '{tagsField}' has {labels.Length} labels; they must match one to one.");
            return new TaggedExample(text, labels, source);
        }
    }

    private static string[] ReadLabelArray(JsonElement array, string source, string tagsField)
    {
        var labels = new string[array.GetArrayLength()];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } label)
                throw new InvalidDataException($"{source}: label {i} of '{tagsField}' must be a non-empty string.");
            labels[i++] = label;
        }
        return labels;
    }

    /// <summary>One JSON line holding the text and its labels, in the given format (String needs one-character labels).</summary>
    public static string Format(string text, IReadOnlyList<string> labels, string textField, string tagsField, TagsFormat format)
    {
        object tags = format == TagsFormat.String ? string.Concat(labels) : labels;
        return JsonSerializer.Serialize(new Dictionary<string, object> { [textField] = text, [tagsField] = tags }, Readable);
    }
}
