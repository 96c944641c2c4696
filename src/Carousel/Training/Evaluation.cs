using System.Text.Json.Nodes;

namespace Carousel.Training;

/// <summary>
/// One evaluation of a model on held-out data: its numbers for DIR/metrics.jsonl, a score that orders evaluations
/// (greater is better, compared element by element), one line for people, and whether training can stop.
/// </summary>
public sealed record Evaluation
{
    /// <summary>Named results as metrics.jsonl shows them ("dev_loss", "dev_accuracy", …): numbers or nested objects.</summary>
    public JsonObject Metrics { get; init; } = [];

    /// <summary>What orders evaluations: lexicographically greater is better, e.g. [accuracy, −loss]; equal is not better.</summary>
    public double[] Score { get; init; } = [];

    /// <summary>One line for the progress display, e.g. "dev accuracy 93.10 %, macro F1 0.9301".</summary>
    public string Summary { get; init; } = "";

    /// <summary>True when training has reached its goal and can stop (a long-lag task solved).</summary>
    public bool Done { get; init; }

    /// <summary>The optimizer step after which it was made (set by the loop).</summary>
    public long Step { get; init; }

    /// <summary>The epochs finished when it was made, fractional inside an epoch (set by the loop).</summary>
    public double Epoch { get; init; }

    /// <summary>A number for metrics.jsonl rounded to <paramref name="digits"/> decimals, or null when it is infinite or NaN (JSON has neither).</summary>
    public static JsonNode? Number(double value, int digits = 5) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, digits)) : null;

    /// <summary>Whether this evaluation's <see cref="Score"/> is lexicographically greater than <paramref name="other"/>'s.</summary>
    public bool Beats(Evaluation other)
    {
        for (int i = 0; i < Math.Min(Score.Length, other.Score.Length); i++)
        {
            if (Score[i] > other.Score[i]) return true;
            if (Score[i] < other.Score[i]) return false;
            if (double.IsNaN(Score[i]) != double.IsNaN(other.Score[i])) return !double.IsNaN(Score[i]);
        }
        return false;
    }
}
