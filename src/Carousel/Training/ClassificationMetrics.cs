namespace Carousel.Training;

/// <summary>Precision, recall, F1 and support of one class.</summary>
public sealed record ClassScores(string Label, double Precision, double Recall, double F1, int Support);

/// <summary>
/// Scores of a classifier from its confusion matrix: Confusion[i][j] counts examples of true class i predicted
/// as class j. Precision = TP / (TP + FP), recall = TP / (TP + FN), F1 their harmonic mean; a ratio with a zero
/// denominator counts as 0 (scikit-learn's convention).
/// </summary>
public sealed class ClassificationMetrics
{
    public IReadOnlyList<string> Labels { get; }
    public int[][] Confusion { get; }

    public ClassificationMetrics(IReadOnlyList<string> labels)
    {
        Labels = labels;
        Confusion = new int[labels.Count][];
        for (int i = 0; i < labels.Count; i++) Confusion[i] = new int[labels.Count];
    }

    public static ClassificationMetrics From(IReadOnlyList<string> labels, ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted)
    {
        if (truth.Length != predicted.Length) throw new ArgumentException($"{truth.Length} true labels but {predicted.Length} predictions.");
        var metrics = new ClassificationMetrics(labels);
        for (int n = 0; n < truth.Length; n++) metrics.Add(truth[n], predicted[n]);
        return metrics;
    }

    public void Add(int truth, int predicted) => Confusion[truth][predicted]++;

    public int Total => Confusion.Sum(row => row.Sum());

    public double Accuracy
    {
        get
        {
            int correct = 0;
            for (int i = 0; i < Labels.Count; i++) correct += Confusion[i][i];
            return Total == 0 ? 0 : (double)correct / Total;
        }
    }

    public ClassScores Scores(int k)
    {
        int tp = Confusion[k][k], predicted = 0, actual = Confusion[k].Sum();
        for (int i = 0; i < Labels.Count; i++) predicted += Confusion[i][k];
        double precision = predicted == 0 ? 0 : (double)tp / predicted;
        double recall = actual == 0 ? 0 : (double)tp / actual;
        double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return new ClassScores(Labels[k], precision, recall, f1, actual);
    }

    public IReadOnlyList<ClassScores> PerClass() => Enumerable.Range(0, Labels.Count).Select(Scores).ToList();

    /// <summary>The unweighted mean of the classes' F1.</summary>
    public double MacroF1 => PerClass().Average(s => s.F1);
}
