using System.Text.Encodings.Web;
using System.Text.Json;
using Carousel.Data;
using Carousel.Data.Tagging;

namespace Carousel.IO;

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
/// (a string of one label character per text character, or an array of labels). The file handling and the
/// "file:line:" errors are <see cref="JsonLines"/>'s, the same as for every reader of examples.
/// </summary>
public static class TaggedJsonLines
{
    // Non-ASCII text stays readable in the output rather than \uXXXX escapes.
    private static readonly JsonSerializerOptions Readable = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Every example of a JSON-lines file (plain or gzip), in file order; a file without any is an error.</summary>
    /// <param name="path">The file to read.</param>
    /// <param name="textField">The name of the field holding the text.</param>
    /// <param name="tagsField">The name of the field holding the labels.</param>
    /// <param name="requireTags">false for prediction: the tags field may be absent.</param>
    /// <param name="maxLength">The longest text, in characters: a longer one is refused naming its file:line (before its labels are
    /// read and before any model sees it), unless <paramref name="cutLong"/>.</param>
    /// <param name="cutLong">Cut a longer text, and its labels, to its first <paramref name="maxLength"/> characters instead.</param>
    public static List<TaggedExample> Read(string path, string textField, string tagsField, bool requireTags, int maxLength = int.MaxValue, bool cutLong = false)
    {
        if (maxLength <= 0) throw new SettingException("MaxLength", $"MaxLength must be positive, got {maxLength}.");
        var examples = new List<TaggedExample>();
        foreach (var json in JsonLines.Read(path))
        {
            string? text = json.Root.TryGetProperty(textField, out var field) && field.ValueKind == JsonValueKind.String ? field.GetString() : null;
            int characters = text is null ? 0 : TaggedExample.CharacterCount(text);
            if (characters > maxLength && !cutLong)
                throw json.Error($"the text has {characters:N0} characters, more than MaxLength {maxLength}; raise MaxLength, or cut such texts with CutLong.")
                    .Naming("MaxLength", "CutLong");
            examples.Add(Parse(json, textField, tagsField, requireTags, keep: maxLength));
        }
        if (examples.Count == 0) throw new InvalidDataException($"{path}: no examples (the file is empty).");
        return examples;
    }

    /// <summary>The example on one JSON line; <paramref name="source"/> ("file:line") starts every error message.</summary>
    public static TaggedExample Parse(string line, string source, string textField, string tagsField, bool requireTags)
    {
        using var json = JsonLine.Parse(line, source);
        return Parse(json, textField, tagsField, requireTags);
    }

    // keep: the characters (and labels) kept of a longer text, after the whole line is checked.
    private static TaggedExample Parse(JsonLine json, string textField, string tagsField, bool requireTags, int keep = int.MaxValue)
    {
        string source = json.Source;
        if (!json.Root.TryGetProperty(textField, out _)) throw json.Error($"missing field '{textField}' (the text; see TextField).").Naming("TextField");
        string text = json.RequiredString(textField);
        if (text.Length == 0) throw json.Error($"field '{textField}' is an empty sequence.");
        if (!json.Root.TryGetProperty(tagsField, out var tagsElement))
        {
            if (requireTags) throw json.Error($"missing field '{tagsField}' (the labels; see TagsField).").Naming("TagsField");
            return new TaggedExample(text, null, source);
        }
        int labelCount = tagsElement.ValueKind switch
        {
            JsonValueKind.String => CharVocabulary.ScalarValues(tagsElement.GetString()!).Count(),
            JsonValueKind.Array => tagsElement.GetArrayLength(),
            _ => throw json.Error($"field '{tagsField}' must be a string (one label character per character) or an array of labels."),
        };
        int characters = TaggedExample.CharacterCount(text);
        if (labelCount != characters)
            throw json.Error($"'{textField}' has {characters} characters but '{tagsField}' has {labelCount} labels; they must match one to one.");
        int kept = Math.Min(characters, keep);
        string[] labels = tagsElement.ValueKind == JsonValueKind.String
            ? [.. CharVocabulary.ScalarValues(tagsElement.GetString()!).Take(kept).Select(TaggedExample.CharacterString)]
            : ReadLabelArray(tagsElement, source, tagsField, kept);
        return new TaggedExample(kept < characters ? TaggedExample.FirstCharacters(text, kept) : text, labels, source);
    }

    private static string[] ReadLabelArray(JsonElement array, string source, string tagsField, int count)
    {
        var labels = new string[count];
        int i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (i == count) break;
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
