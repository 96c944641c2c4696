namespace Carousel.Diagnostics;

/// <summary>Precision, recall and F1 of one class, with the counts they come from.</summary>
/// <param name="Label">The class's name.</param>
/// <param name="Support">Items whose true class this is.</param>
/// <param name="Predicted">Items predicted as this class.</param>
/// <param name="Correct">Items of this class predicted as it (the true positives).</param>
public sealed record ClassScores(string Label, long Support, long Predicted, long Correct)
{
    /// <summary>The share of items predicted as this class that are of it, TP / (TP + FP); 0 when none was predicted.</summary>
    public double Precision => Predicted == 0 ? 0 : (double)Correct / Predicted;
    /// <summary>The share of items of this class that were predicted as it, TP / (TP + FN); 0 when there are none.</summary>
    public double Recall => Support == 0 ? 0 : (double)Correct / Support;
    /// <summary>The harmonic mean of precision and recall; 0 when both are 0.</summary>
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

    /// <summary>The class names; class k is Labels[k].</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>[classes][classes] counts: Confusion[i][j] is the number of items of true class i predicted as class j.</summary>
    public long[][] Confusion { get; }

    /// <summary>Empty counts (no items yet) for the given classes.</summary>
    public ClassificationMetrics(IReadOnlyList<string> labels)
    {
        Labels = labels;
        Confusion = new long[labels.Count][];
        for (int i = 0; i < labels.Count; i++) Confusion[i] = new long[labels.Count];
    }

    /// <summary>The metrics of predicted classes against true classes, item by item (class ids index <paramref name="labels"/>).</summary>
    public static ClassificationMetrics From(IReadOnlyList<string> labels, ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted)
    {
        if (truth.Length != predicted.Length) throw new ArgumentException($"{truth.Length} true labels but {predicted.Length} predictions.");
        var metrics = new ClassificationMetrics(labels);
        for (int n = 0; n < truth.Length; n++) metrics.Add(truth[n], predicted[n]);
        return metrics;
    }

    /// <summary>Counts one item of true class <paramref name="truth"/> predicted as class <paramref name="predicted"/>.</summary>
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

    /// <summary>Items predicted as their true class.</summary>
    public long Correct
    {
        get
        {
            long n = 0;
            for (int i = 0; i < Labels.Count; i++) n += Confusion[i][i];
            return n;
        }
    }

    /// <summary>The share of items predicted right, Correct / Total; 0 when there are none.</summary>
    public double Accuracy
    {
        get
        {
            long total = Total;
            return total == 0 ? 0 : (double)Correct / total;
        }
    }

    /// <summary>Precision, recall and F1 of class <paramref name="k"/>.</summary>
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

    /// <summary>Precision, recall and F1 of the class named <paramref name="label"/>; an unknown name is an error.</summary>
    public ClassScores Scores(string label)
    {
        for (int k = 0; k < Labels.Count; k++) if (Labels[k] == label) return Scores(k);
        throw new ArgumentException($"Unknown label '{label}'.");
    }

    /// <summary>The scores of every class, in label order.</summary>
    public IReadOnlyList<ClassScores> PerClass() => Enumerable.Range(0, Labels.Count).Select(Scores).ToList();

    /// <summary>The unweighted mean of the classes' F1.</summary>
    public double MacroF1 => PerClass().Average(s => s.F1);
}
