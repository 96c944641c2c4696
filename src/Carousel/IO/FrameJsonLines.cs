using System.Globalization;
using System.Text.Json;
using Carousel.Data;

namespace Carousel.IO;

/// <summary>
/// JSON lines of real-valued frame sequences: <c>{"frames": [[f₁, …, f_F], …], "label": "yes"}</c> for one label per
/// sequence, <c>{"frames": …, "labels": "123"}</c> (one label per character) or <c>"labels": ["one", "two"]</c> for a
/// label sequence. Every frame of a file has the same width; an empty sequence, a frame of another width, a value that
/// is not a finite number (NaN, ±Inf or beyond float32) is an <see cref="InvalidDataException"/> naming file:line.
/// </summary>
public static class FrameJsonLines
{
    /// <summary>The sequences of <paramref name="path"/> (plain or gzip); the fields named are read when present, required when <c>require</c> says so.</summary>
    /// <param name="path">The JSON-lines file.</param>
    /// <param name="framesField">The field holding the frames, an array of arrays of numbers.</param>
    /// <param name="labelField">The field holding one label per sequence (string or number), or null to ignore it.</param>
    /// <param name="tokensField">The field holding the label sequence (a string of one label per character, or an array of strings), or null.</param>
    /// <param name="requireLabels">Whether every line must have the label field (or the tokens field) given.</param>
    public static List<FrameSequence> Read(string path, string framesField = "frames", string? labelField = null, string? tokensField = null, bool requireLabels = false)
    {
        var sequences = new List<FrameSequence>();
        int width = -1;
        foreach (var line in JsonLines.Read(path))
        {
            var frames = ReadFrames(line, framesField, ref width);
            string? label = null;
            string[]? tokens = null;
            if (labelField is not null && (requireLabels || line.Root.TryGetProperty(labelField, out _)))
                label = line.RequiredString(labelField, allowNumber: true);
            if (tokensField is not null && (requireLabels || line.Root.TryGetProperty(tokensField, out _)))
                tokens = ReadTokens(line, tokensField);
            sequences.Add(new FrameSequence(frames, width, label, tokens, line.Source));
        }
        if (sequences.Count == 0) throw FileFormatErrors.Create(path, "no sequences.");
        return sequences;
    }

    private static float[] ReadFrames(JsonLine line, string field, ref int width)
    {
        var value = line.Required(field, " (the frames)");
        if (value.ValueKind != JsonValueKind.Array) throw line.Error($"field '{field}' is {value.ValueKind}; it must be an array of frames (arrays of numbers).");
        int steps = value.GetArrayLength();
        if (steps == 0) throw line.Error("an empty sequence (no frames).");
        float[]? frames = null;
        int t = 0;
        foreach (var frame in value.EnumerateArray())
        {
            if (frame.ValueKind != JsonValueKind.Array) throw line.Error($"frame {t} is {frame.ValueKind}; each frame must be an array of numbers.");
            int n = frame.GetArrayLength();
            if (width < 0) width = n;
            if (n == 0) throw line.Error($"frame {t} is empty.");
            if (n != width) throw line.Error($"frame {t} has {n} features; the file's frames have {width}.");
            frames ??= new float[steps * width];
            int f = 0;
            foreach (var number in frame.EnumerateArray())
            {
                if (number.ValueKind != JsonValueKind.Number || !number.TryGetDouble(out double v))
                    throw line.Error($"frame {t}, feature {f} is {number.ValueKind}, not a number.");
                float x = (float)v;
                if (!float.IsFinite(x)) throw line.Error($"frame {t}, feature {f} is {v.ToString(CultureInfo.InvariantCulture)}, beyond float32.");
                frames[t * width + f++] = x;
            }
            t++;
        }
        return frames!;
    }

    private static string[] ReadTokens(JsonLine line, string field)
    {
        var value = line.Required(field, " (the label sequence)");
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                string text = value.GetString()!;
                return [.. text.EnumerateRunes().Select(r => r.ToString())];
            case JsonValueKind.Array:
                var tokens = new List<string>();
                foreach (var token in value.EnumerateArray())
                {
                    if (token.ValueKind is not (JsonValueKind.String or JsonValueKind.Number)) throw line.Error($"field '{field}' holds {token.ValueKind}; labels must be strings.");
                    string s = token.ValueKind == JsonValueKind.String ? token.GetString()! : token.GetRawText();
                    if (s.Length == 0) throw line.Error($"field '{field}' holds an empty label.");
                    tokens.Add(s);
                }
                return [.. tokens];
            default:
                throw line.Error($"field '{field}' is {value.ValueKind}; it must be a string (one label per character) or an array of labels.");
        }
    }

    /// <summary>One sequence as a JSON line: {"frames": [[…]], field: label or labels} (tokens as an array unless every token is one character).</summary>
    public static string Format(FrameSequence sequence, string framesField = "frames", string labelField = "label", string tokensField = "labels")
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteStartArray(framesField);
            for (int t = 0; t < sequence.Steps; t++)
            {
                writer.WriteStartArray();
                for (int f = 0; f < sequence.Width; f++) writer.WriteNumberValue(sequence.Frames[t * sequence.Width + f]);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
            if (sequence.Label is not null) writer.WriteString(labelField, sequence.Label);
            if (sequence.Tokens is not null)
            {
                if (sequence.Tokens.All(t => t.EnumerateRunes().Count() == 1)) writer.WriteString(tokensField, string.Concat(sequence.Tokens));
                else
                {
                    writer.WriteStartArray(tokensField);
                    foreach (var t in sequence.Tokens) writer.WriteStringValue(t);
                    writer.WriteEndArray();
                }
            }
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
