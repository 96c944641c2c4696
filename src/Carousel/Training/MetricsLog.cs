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

    /// <summary>On resume from <paramref name="step"/>: keeps the file's lines up to that step; later ones belong to work that was lost.</summary>
    public void KeepLinesUpTo(long step)
    {
        if (step == 0 || !File.Exists(FilePath)) return;
        foreach (var line in File.ReadAllLines(FilePath, Encoding.UTF8))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.GetProperty("step").GetInt64() <= step) _lines.Add(line);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { }
        }
    }
}
