using System.Text.Json;
using Carousel.Data;

namespace Carousel.IO;

/// <summary>
/// The compact binary form of a set of frame sequences, one safetensors file: "frames" F32 [N, F] (every sequence's
/// frames one after the other), "offsets" I64 [S + 1] (sequence i is rows offsets[i]..offsets[i+1]), and in the metadata
/// "format" = "carousel.frames/1" with, when the sequences are labelled, "labels" (a JSON array of strings, one per
/// sequence) and "tokens" (a JSON array of label arrays). numpy or PyTorch write it with safetensors' own save_file.
/// Offsets that do not start at 0, go backwards, leave a sequence empty or pass the frames, and values that are not
/// finite, are an <see cref="InvalidDataException"/> naming the file and the sequence.
/// </summary>
public static class FrameSafeTensors
{
    /// <summary>The format name in the file's metadata.</summary>
    public const string Format = "carousel.frames/1";

    /// <summary>Writes the sequences (all of one width) atomically.</summary>
    public static void Write(string path, IReadOnlyList<FrameSequence> sequences)
    {
        if (sequences.Count == 0) throw new ArgumentException("No sequences to write.");
        int width = sequences[0].Width;
        long rows = 0;
        var offsets = new long[sequences.Count + 1];
        for (int i = 0; i < sequences.Count; i++)
        {
            if (sequences[i].Width != width) throw new ArgumentException($"{sequences[i].Source}: {sequences[i].Width} features, the first sequence has {width}.");
            rows += sequences[i].Steps;
            offsets[i + 1] = rows;
        }
        var frames = new float[checked((int)(rows * width))];
        for (int i = 0; i < sequences.Count; i++) sequences[i].Frames.CopyTo(frames, (int)offsets[i] * width);
        var metadata = new Dictionary<string, string> { ["format"] = Format };
        if (sequences.Any(s => s.Label is not null)) metadata["labels"] = JsonSerializer.Serialize(sequences.Select(s => s.Label).ToArray());
        if (sequences.Any(s => s.Tokens is not null)) metadata["tokens"] = JsonSerializer.Serialize(sequences.Select(s => s.Tokens).ToArray());
        SafeTensors.Write(path, [SafeTensorsWriteEntry.FromFloats("frames", frames, (int)rows, width), SafeTensorsWriteEntry.FromInt64s("offsets", offsets, offsets.Length)], metadata);
    }

    /// <summary>Reads the sequences; each one's <see cref="FrameSequence.Source"/> is "file#index" (0-based).</summary>
    public static List<FrameSequence> Read(string path)
    {
        var file = SafeTensors.Read(path);
        if (!file.Contains("frames") || !file.Contains("offsets")) throw FileFormatErrors.Create(path, "not a frames file: it needs the tensors 'frames' [N, F] and 'offsets' [S + 1].");
        var framesEntry = file["frames"];
        if (framesEntry.Shape.Length != 2 || framesEntry.Shape[1] == 0) throw FileFormatErrors.Create(path, $"'frames' must be [N, F] with F > 0, got [{string.Join(", ", framesEntry.Shape)}].");
        int rows = framesEntry.Shape[0], width = framesEntry.Shape[1];
        var frames = framesEntry.ToTensor().Data;
        var offsets = file["offsets"].ToInt64s();
        if (offsets.Length < 2 || offsets[0] != 0 || offsets[^1] != rows)
            throw FileFormatErrors.Create(path, $"'offsets' must run from 0 to the {rows} frames, one more than the sequences.");
        int count = offsets.Length - 1;
        string?[]? labels = ReadList<string?>(file, "labels", count);
        string[]?[]? tokens = ReadList<string[]?>(file, "tokens", count);
        var sequences = new List<FrameSequence>(count);
        for (int i = 0; i < count; i++)
        {
            string source = $"{path}#{i}";
            long start = offsets[i], end = offsets[i + 1];
            if (end <= start) throw FileFormatErrors.Create(source, end == start ? "an empty sequence (no frames)." : "offsets go backwards.");
            var own = frames.AsSpan((int)start * width, (int)(end - start) * width).ToArray();
            int bad = Array.FindIndex(own, v => !float.IsFinite(v));
            if (bad >= 0) throw FileFormatErrors.Create(source, $"frame {bad / width}, feature {bad % width} is {own[bad]}, not a finite number.");
            sequences.Add(new FrameSequence(own, width, labels?[i], tokens?[i], source));
        }
        return sequences;
    }

    private static T[]? ReadList<T>(SafeTensorsFile file, string key, int count)
    {
        if (!file.Metadata.TryGetValue(key, out var json)) return null;
        T[]? values;
        try
        {
            values = JsonSerializer.Deserialize<T[]>(json);
        }
        catch (JsonException e)
        {
            throw FileFormatErrors.Create(file.SourceName, $"metadata '{key}' is not a JSON array: {e.Message}");
        }
        if (values is null || values.Length != count) throw FileFormatErrors.Create(file.SourceName, $"metadata '{key}' must hold one entry per sequence ({count}).");
        return values;
    }

    /// <summary>Frames from either form: the binary form when the name ends in .safetensors, else JSON lines (plain or gzip).</summary>
    public static List<FrameSequence> ReadAny(string path, string? labelField, string? tokensField, bool requireLabels)
    {
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            var sequences = Read(path);
            if (requireLabels && tokensField is not null && sequences.FirstOrDefault(s => s.Tokens is null) is { } t)
                throw FileFormatErrors.Create(t.Source, "no label sequence (metadata 'tokens').");
            if (requireLabels && labelField is not null && sequences.FirstOrDefault(s => s.Label is null) is { } l)
                throw FileFormatErrors.Create(l.Source, "no label (metadata 'labels').");
            return sequences;
        }
        return FrameJsonLines.Read(path, "frames", labelField, tokensField, requireLabels);
    }
}
