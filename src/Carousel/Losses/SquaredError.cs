namespace Carousel.Losses;

/// <summary>
/// Squared error between predictions and targets, over the positions a mask allows (all when the mask is empty):
/// <see cref="HalfSum"/> is ½·Σe² (the form of the classic LSTM papers), <see cref="Mean"/> is Σe²/n.
/// Each writes the gradient with respect to the predictions when one is asked for.
/// </summary>
public static class SquaredError
{
    /// <summary>½·Σ(prediction − target)² over the masked-in positions; writes its gradient (prediction − target) into <paramref name="dPredictions"/> unless empty.</summary>
    public static double HalfSum(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> dPredictions, ReadOnlySpan<bool> mask = default)
    {
        var (sum, _) = Accumulate(predictions, targets, dPredictions, mask, gradientScale: 1f);
        return 0.5 * sum;
    }

    /// <summary>The mean of (prediction − target)² over the masked-in positions; writes its gradient into <paramref name="dPredictions"/> unless empty.</summary>
    public static double Mean(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets, Span<float> dPredictions, ReadOnlySpan<bool> mask = default)
    {
        int count = mask.IsEmpty ? predictions.Length : CountTrue(mask);
        var (sum, _) = Accumulate(predictions, targets, dPredictions, mask, gradientScale: count > 0 ? 2f / count : 0f);
        return count > 0 ? sum / count : 0.0;
    }

    private static (double Sum, int Count) Accumulate(ReadOnlySpan<float> predictions, ReadOnlySpan<float> targets,
        Span<float> dPredictions, ReadOnlySpan<bool> mask, float gradientScale)
    {
        if (predictions.Length != targets.Length) throw new ArgumentException($"{predictions.Length} predictions but {targets.Length} targets.");
        if (!mask.IsEmpty && mask.Length != predictions.Length) throw new ArgumentException("Mask length differs from the predictions'.");
        double sum = 0;
        int count = 0;
        for (int i = 0; i < predictions.Length; i++)
        {
            bool counted = mask.IsEmpty || mask[i];
            float e = predictions[i] - targets[i];
            if (counted) { sum += (double)e * e; count++; }
            if (!dPredictions.IsEmpty) dPredictions[i] = counted ? e * gradientScale : 0f;
        }
        return (sum, count);
    }

    private static int CountTrue(ReadOnlySpan<bool> mask)
    {
        int n = 0;
        foreach (bool m in mask) if (m) n++;
        return n;
    }
}
