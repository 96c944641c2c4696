namespace Carousel.Diagnostics;

/// <summary>Precision, recall and F1 of one class, with the counts they come from.</summary>
/// <param name="Support">Items whose true class this is.</param>
/// <param name="Predicted">Items predicted as this class.</param>
/// <param name="Correct">Items of this class predicted as it (the true positives).</param>
public sealed record ClassScores(string Label, long Support, long Predicted, long Correct)
{
    public double Precision => Predicted == 0 ? 0 : (double)Correct / Predicted;
    public double Recall => Support == 0 ? 0 : (double)Correct / Support;
    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);
}

/// <summary>
/// Scores of a classification from its confusion matrix: Confusion[i][j] counts items of true class i predicted
/// as class j. The items are whole texts for a sequence classifier and single characters for a tagger, hence the
/// long counts. Precision = TP / (TP + FP), recall = TP / (TP + FN), F1 their harmonic mean; a ratio with a zero
/// denominator counts as 0 (scikit-learn's convention). An evaluator may also add its loss, for the mean.
/// </summary>
public sealed class ClassificationMetrics
{
    private double _lossSum;
    private long _lossCount;

    public IReadOnlyList<string> Labels { get; }
    public long[][] Confusion { get; }

    public ClassificationMetrics(IReadOnlyList<string> labels)
    {
        Labels = labels;
        Confusion = new long[labels.Count][];
        for (int i = 0; i < labels.Count; i++) Confusion[i] = new long[labels.Count];
    }

    public static ClassificationMetrics From(IReadOnlyList<string> labels, ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted)
    {
        if (truth.Length != predicted.Length) throw new ArgumentException($"{truth.Length} true labels but {predicted.Length} predictions.");
        var metrics = new ClassificationMetrics(labels);
        for (int n = 0; n < truth.Length; n++) metrics.Add(truth[n], predicted[n]);
        return metrics;
    }

    public void Add(int truth, int predicted) => Confusion[truth][predicted]++;

    /// <summary>Adds the mean loss of <paramref name="count"/> items (a batch's mean, or one item's loss with count 1).</summary>
    public void AddLoss(double meanLoss, int count)
    {
        _lossSum += meanLoss * count;
        _lossCount += count;
    }

    /// <summary>Mean cross-entropy in nats per item (NaN when no loss was added).</summary>
    public double MeanLoss => _lossCount > 0 ? _lossSum / _lossCount : double.NaN;

    /// <summary>Items counted: texts for a classifier, characters for a tagger.</summary>
    public long Total
    {
        get
        {
            long n = 0;
            foreach (var row in Confusion) foreach (long c in row) n += c;
            return n;
        }
    }

    public long Correct
    {
        get
        {
            long n = 0;
            for (int i = 0; i < Labels.Count; i++) n += Confusion[i][i];
            return n;
        }
    }

    public double Accuracy
    {
        get
        {
            long total = Total;
            return total == 0 ? 0 : (double)Correct / total;
        }
    }

    public ClassScores Scores(int k)
    {
        long predicted = 0, actual = 0;
        for (int i = 0; i < Labels.Count; i++)
        {
            predicted += Confusion[i][k];
            actual += Confusion[k][i];
        }
        return new ClassScores(Labels[k], actual, predicted, Confusion[k][k]);
    }

    public ClassScores Scores(string label)
    {
        for (int k = 0; k < Labels.Count; k++) if (Labels[k] == label) return Scores(k);
        throw new ArgumentException($"Unknown label '{label}'.");
    }

    public IReadOnlyList<ClassScores> PerClass() => Enumerable.Range(0, Labels.Count).Select(Scores).ToList();

    /// <summary>The unweighted mean of the classes' F1.</summary>
    public double MacroF1 => PerClass().Average(s => s.F1);
}
