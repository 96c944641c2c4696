namespace Carousel.Training.Tagging;

/// <summary>Precision, recall and F1 of one label, with the counts they come from.</summary>
public sealed record LabelScore(string Label, long Support, long Predicted, long Correct)
{
    public double Precision => Predicted > 0 ? (double)Correct / Predicted : 0;
    public double Recall => Support > 0 ? (double)Correct / Support : 0;
    public double F1 => Precision + Recall > 0 ? 2 * Precision * Recall / (Precision + Recall) : 0;
}

/// <summary>
/// Counts of a tagging evaluation: a confusion matrix [gold, predicted] over the characters, and the mean
/// cross-entropy when a model gave it. Character accuracy and per-label precision, recall and F1 follow.
/// </summary>
public sealed class TaggingMetrics
{
    private readonly long[] _confusion; // [K, K]: row = gold label, column = predicted label
    private double _lossSum;
    private long _lossCount;

    public IReadOnlyList<string> Labels { get; }

    public TaggingMetrics(IReadOnlyList<string> labels)
    {
        Labels = labels;
        _confusion = new long[labels.Count * labels.Count];
    }

    public void Add(int gold, int predicted) => _confusion[gold * Labels.Count + predicted]++;

    /// <summary>Adds a batch's mean loss over <paramref name="count"/> characters.</summary>
    public void AddLoss(double meanLoss, int count)
    {
        _lossSum += meanLoss * count;
        _lossCount += count;
    }

    public long Characters
    {
        get
        {
            long n = 0;
            foreach (long c in _confusion) n += c;
            return n;
        }
    }

    public long Correct
    {
        get
        {
            long n = 0;
            for (int k = 0; k < Labels.Count; k++) n += _confusion[k * Labels.Count + k];
            return n;
        }
    }

    public double Accuracy => Characters > 0 ? (double)Correct / Characters : 0;

    /// <summary>Mean cross-entropy in nats per character (NaN when no loss was added).</summary>
    public double Loss => _lossCount > 0 ? _lossSum / _lossCount : double.NaN;

    public LabelScore Score(string label)
    {
        int k = -1;
        for (int i = 0; i < Labels.Count; i++) if (Labels[i] == label) k = i;
        if (k < 0) throw new ArgumentException($"Unknown label '{label}'.");
        long support = 0, predicted = 0;
        for (int j = 0; j < Labels.Count; j++)
        {
            support += _confusion[k * Labels.Count + j];
            predicted += _confusion[j * Labels.Count + k];
        }
        return new LabelScore(label, support, predicted, _confusion[k * Labels.Count + k]);
    }

    public IReadOnlyList<LabelScore> Scores() => [.. Labels.Select(Score)];
}
