using System.Globalization;
using System.Text.Json;
using Carousel.Diagnostics;
using Carousel.IO;

namespace Carousel.Training;

/// <summary>One run's losses at its evaluations, read from its metrics.jsonl lines.</summary>
/// <param name="Steps">The optimizer step of each evaluation.</param>
/// <param name="Train">The mean training loss since the evaluation before (NaN where a line has none).</param>
/// <param name="Validation">The held-out loss (val_loss or dev_loss) at each evaluation, NaN where the run measured none.</param>
/// <param name="ValidationName">The metric <paramref name="Validation"/> holds ("val_loss", "dev_loss"), or null when no line has one.</param>
public sealed record LossCurve(IReadOnlyList<double> Steps, IReadOnlyList<double> Train, IReadOnlyList<double> Validation, string? ValidationName)
{
    /// <summary>The held-out losses the trainers write, in the order looked for.</summary>
    public static readonly IReadOnlyList<string> ValidationNames = ["val_loss", "dev_loss"];

    /// <summary>The curve of metrics lines (JSON objects with "step" and "train_loss"); lines that are not such objects are skipped.</summary>
    public static LossCurve FromLines(IEnumerable<string> lines)
    {
        List<double> steps = [], train = [], validation = [];
        string? name = null;
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("step", out var step) || step.ValueKind != JsonValueKind.Number) continue;
                steps.Add(step.GetDouble());
                train.Add(Number(root, "train_loss"));
                double value = double.NaN;
                foreach (var candidate in ValidationNames)
                    if (root.TryGetProperty(candidate, out _)) { value = Number(root, candidate); name ??= candidate; break; }
                validation.Add(value);
            }
            catch (JsonException) { }
        }
        return new LossCurve(steps, train, validation, name);
    }

    /// <summary>The curve of a run's DIR/metrics.jsonl (empty when there is none).</summary>
    public static LossCurve Read(string directory)
    {
        string path = Path.Combine(directory, MetricsLog.FileName);
        return FromLines(File.Exists(path) ? File.ReadAllLines(path) : []);
    }

    // A number, or one of the named literals the log writes for an overflowed loss ("Infinity", "NaN").
    private static double Number(JsonElement root, string key)
    {
        if (!root.TryGetProperty(key, out var v)) return double.NaN;
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        return v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double x) ? x : double.NaN;
    }

    /// <summary>The last training loss, or NaN.</summary>
    public double FinalTrain => Train.Count > 0 ? Train[^1] : double.NaN;

    /// <summary>The last held-out loss, or NaN.</summary>
    public double FinalValidation => Validation.Count > 0 ? Validation[^1] : double.NaN;

    /// <summary>Adds this run's training loss (solid) and held-out loss (dashed) to <paramref name="chart"/> in <paramref name="color"/>, named after <paramref name="run"/>.</summary>
    public void AddTo(SvgChart chart, string run, string color)
    {
        string prefix = run.Length > 0 ? run + " " : "";
        chart.Add(prefix + "train", Steps, Train, new SeriesStyle(color, ""), markers: Steps.Count < 40);
        if (ValidationName is not null)
            chart.Add(prefix + ValidationName.Replace("_loss", ""), Steps, Validation, new SeriesStyle(color, "7 4"), markers: Steps.Count < 40);
    }

    /// <summary>The chart of one run: training and held-out loss against steps.</summary>
    public SvgChart ToChart(string title)
    {
        var chart = new SvgChart(title, "step", "loss (nats)");
        AddTo(chart, "", SvgChart.Colors[0]);
        return chart;
    }

    /// <summary>The chart's name in a run's directory.</summary>
    public const string FileName = "curves.svg";

    /// <summary>Writes DIR/curves.svg (atomically) from the metrics lines of the run so far.</summary>
    public static void Write(string directory, IEnumerable<string> metricsLines) =>
        AtomicFile.WriteAllText(Path.Combine(directory, FileName), FromLines(metricsLines).ToChart($"{Path.GetFileName(Path.GetFullPath(directory).TrimEnd('/', '\\'))}: loss at each evaluation").ToSvg());
}
