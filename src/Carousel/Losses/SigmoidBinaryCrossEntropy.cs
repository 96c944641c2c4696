namespace Carousel.Losses;

/// <summary>
/// Independent sigmoid outputs with binary cross-entropy, fused for stability (PyTorch's
/// BCEWithLogitsLoss): loss = max(z, 0) − z·y + log(1 + e^−|z|), averaged over the counted elements.
/// Used where several outputs may be right at once, such as the set of legal next symbols of a grammar.
/// </summary>
public static class SigmoidBinaryCrossEntropy
{
    /// <summary>
    /// The mean loss per counted element of logits against targets (0 or 1, or any probability), both [N, K] with
    /// K = <paramref name="width"/>; writes the gradient of that mean into <paramref name="dLogits"/> unless it is empty.
    /// </summary>
    /// <remarks>Rows whose <paramref name="rowCounts"/>[n] is false (padding) add nothing and get a zero gradient;
    /// an empty <paramref name="rowCounts"/> counts every row.</remarks>
    public static double Compute(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int width, ReadOnlySpan<bool> rowCounts, Span<float> dLogits)
    {
        if (logits.Length != targets.Length) throw new ArgumentException($"{logits.Length} logits but {targets.Length} targets.");
        int rows = logits.Length / width;
        int countedRows = 0;
        for (int r = 0; r < rows; r++) if (rowCounts.IsEmpty || rowCounts[r]) countedRows++;
        int count = countedRows * width;
        float scale = count > 0 ? 1f / count : 0f;
        double total = 0;
        for (int r = 0; r < rows; r++)
        {
            bool counted = rowCounts.IsEmpty || rowCounts[r];
            for (int k = r * width; k < (r + 1) * width; k++)
            {
                float z = logits[k], y = targets[k];
                if (counted) total += Math.Max(z, 0f) - z * y + Math.Log(1.0 + Math.Exp(-Math.Abs(z)));
                if (!dLogits.IsEmpty) dLogits[k] = counted ? (Sigmoid(z) - y) * scale : 0f;
            }
        }
        return count > 0 ? total / count : 0.0;
    }

    /// <summary>The logistic function 1 / (1 + e^−z): the probability a logit stands for.</summary>
    public static float Sigmoid(float z) => 1f / (1f + MathF.Exp(-z));
}
