using System.Text;
using System.Text.Json;
using Carousel.IO;

namespace Carousel.Training;

/// <summary>
/// DIR/metrics.jsonl of a training run: one JSON object per evaluation. The whole file is rewritten atomically
/// at each append, so a reader (or a crash) never sees half a line.
/// </summary>
public sealed class MetricsLog
{
    /// <summary>The log's name in a run's directory.</summary>
    public const string FileName = "metrics.jsonl";

    private readonly List<string> _lines = [];

    // A loss that overflowed (a run on its way to diverging) is written as "Infinity" or "NaN", not refused.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The log of the run in <paramref name="directory"/>; nothing is read or written until <see cref="KeepLinesUpTo"/> or <see cref="Append"/>.</summary>
    public MetricsLog(string directory) => FilePath = Path.Combine(directory, FileName);

    /// <summary>DIR/metrics.jsonl.</summary>
    public string FilePath { get; }

    /// <summary>The lines written (or kept on resume) so far, one JSON object each.</summary>
    public IReadOnlyList<string> Lines => _lines;

    /// <summary>Adds <paramref name="record"/> as one JSON line and rewrites the file atomically.</summary>
    public void Append<T>(T record)
    {
        _lines.Add(JsonSerializer.Serialize(record, Json));
        AtomicFile.WriteAllText(FilePath, string.Join("\n", _lines) + "\n");
    }

    /// <summary>
    /// On resume from <paramref name="position"/> (a step, or an epoch with <paramref name="key"/> "epoch"): keeps the
    /// file's lines up to there, to which later appends add; lines after it belong to work that was lost.
    /// A line whose place cannot be read (not JSON, without the key, not a whole number) is kept where it stands: it was
    /// not written by the trainer as it is, so it may be the user's, and dropping it could not be undone. Blank lines hold nothing and go.
    /// </summary>
    public void KeepLinesUpTo(long position, string key = "step")
    {
        if (!File.Exists(FilePath)) return;
        foreach (var line in File.ReadAllLines(FilePath, Encoding.UTF8))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (PlaceOf(line, key) is not { } place || place <= position) _lines.Add(line);
        }
    }

    /// <summary>The line's whole-number <paramref name="key"/>, or null when it has none.</summary>
    private static long? PlaceOf(string line, string key)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(key, out var value)
                && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long place) ? place : null;
        }
        catch (JsonException) { return null; }
    }
}
