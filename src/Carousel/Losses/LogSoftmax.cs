namespace Carousel.Losses;

/// <summary>
/// Log-softmax over the last axis, rows of <c>classes</c> values: y = z − logsumexp(z), and its backward
/// dz = dy − softmax(z)·Σdy. The CTC model's logits [T, B, C] become log-probabilities here.
/// </summary>
public static class LogSoftmax
{
    /// <summary>logits [N, C] → log-probabilities [N, C] (<paramref name="output"/> may be <paramref name="logits"/> itself).</summary>
    public static void Forward(ReadOnlySpan<float> logits, int classes, Span<float> output)
    {
        if (classes <= 0 || logits.Length % classes != 0) throw new ArgumentException($"{logits.Length} values are not rows of {classes}.");
        if (output.Length != logits.Length) throw new ArgumentException($"Output holds {output.Length} values, expected {logits.Length}.");
        for (int r = 0; r < logits.Length; r += classes)
        {
            var z = logits.Slice(r, classes);
            float max = float.NegativeInfinity;
            foreach (float v in z) max = Math.Max(max, v);
            double sum = 0;
            foreach (float v in z) sum += Math.Exp(v - max);
            double logSumExp = max + Math.Log(sum);
            var y = output.Slice(r, classes);
            for (int k = 0; k < classes; k++) y[k] = (float)(z[k] - logSumExp);
        }
    }

    /// <summary>
    /// dLogProbs [N, C] and the forward's log-probabilities [N, C] → dLogits [N, C] (may be <paramref name="dLogProbs"/> itself):
    /// dz = dy − exp(y)·Σdy per row.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> logProbs, ReadOnlySpan<float> dLogProbs, int classes, Span<float> dLogits)
    {
        if (logProbs.Length != dLogProbs.Length || dLogits.Length != dLogProbs.Length)
            throw new ArgumentException($"Expected {logProbs.Length} gradients, got {dLogProbs.Length} in and {dLogits.Length} out.");
        for (int r = 0; r < logProbs.Length; r += classes)
        {
            double sum = 0;
            foreach (float g in dLogProbs.Slice(r, classes)) sum += g;
            for (int k = 0; k < classes; k++) dLogits[r + k] = (float)(dLogProbs[r + k] - Math.Exp(logProbs[r + k]) * sum);
        }
    }
}
