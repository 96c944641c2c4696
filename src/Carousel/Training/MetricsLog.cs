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
    public const string FileName = "metrics.jsonl";

    private readonly List<string> _lines = [];

    public MetricsLog(string directory) => FilePath = Path.Combine(directory, FileName);

    public string FilePath { get; }

    public void Append<T>(T record)
    {
        _lines.Add(JsonSerializer.Serialize(record));
        AtomicFile.WriteAllText(FilePath, string.Join("\n", _lines) + "\n");
    }

    /// <summary>
    /// On resume from <paramref name="position"/> (a step, or an epoch with <paramref name="key"/> "epoch"): keeps the
    /// file's lines up to there, to which later appends add; lines after it belong to work that was lost.
    /// </summary>
    public void KeepLinesUpTo(long position, string key = "step")
    {
        if (position == 0 || !File.Exists(FilePath)) return;
        foreach (var line in File.ReadAllLines(FilePath, Encoding.UTF8))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.GetProperty(key).GetInt64() <= position) _lines.Add(line);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { }
        }
    }
}
