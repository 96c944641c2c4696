using System.Numerics.Tensors;

namespace Carousel.Losses;

/// <summary>
/// Softmax followed by cross-entropy, fused for stability: loss = logsumexp(z) − z[target], averaged over
/// the positions that count (target ≥ 0; <see cref="Ignore"/> marks padding). The gradient with respect
/// to the logits is (softmax(z) − onehot(target)) / count.
/// With label smoothing ε (PyTorch's cross_entropy(label_smoothing=ε)) the target distribution is
/// (1 − ε)·onehot(target) + ε/V over all V classes: loss = (1 − ε)(logsumexp(z) − z[target]) + ε·(logsumexp(z) − mean(z)),
/// gradient (softmax(z) − (1 − ε)·onehot(target) − ε/V) / count.
/// </summary>
public static class SoftmaxCrossEntropy
{
    /// <summary>The target value (−1) that marks a padded position: it adds no loss and gets a zero gradient.</summary>
    public const int Ignore = -1;

    /// <summary>
    /// The mean loss in nats of logits [N, V] against class targets [N] (V = <paramref name="classes"/>), and the
    /// number of positions counted.
    /// </summary>
    /// <remarks>When <paramref name="dLogits"/> is not empty it receives the gradient of the mean loss [N, V]
    /// (zero rows for ignored positions); it may be the logits buffer itself. <paramref name="labelSmoothing"/> ε in [0, 1)
    /// mixes the uniform distribution into the targets, as PyTorch's label_smoothing does.</remarks>
    public static (double MeanLoss, int Count) Compute(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int classes, Span<float> dLogits,
        float labelSmoothing = 0f)
    {
        if (!(labelSmoothing >= 0f && labelSmoothing < 1f)) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"Label smoothing must be in [0, 1), got {labelSmoothing}.");
        int rows = targets.Length;
        if (logits.Length != rows * classes) throw new ArgumentException($"Expected logits [{rows}, {classes}], got {logits.Length} values.");
        int count = 0;
        foreach (int t in targets)
        {
            if (t == Ignore) continue;
            if ((uint)t >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(targets), $"Target {t} outside 0..{classes - 1}.");
            count++;
        }
        double total = 0;
        float scale = count > 0 ? 1f / count : 0f;
        bool wantGradient = !dLogits.IsEmpty;
        for (int r = 0; r < rows; r++)
        {
            var z = logits.Slice(r * classes, classes);
            int target = targets[r];
            if (target == Ignore)
            {
                if (wantGradient) dLogits.Slice(r * classes, classes).Clear();
                continue;
            }
            float max = TensorPrimitives.Max(z);
            double sum = 0;
            for (int v = 0; v < classes; v++) sum += Math.Exp(z[v] - max);
            double logSumExp = max + Math.Log(sum);
            if (labelSmoothing == 0f) total += logSumExp - z[target];
            else
            {
                // −Σ_v q_v log p_v with q = (1 − ε)·onehot + ε/V; z[target] read before dLogits may overwrite it
                double sumZ = 0;
                for (int v = 0; v < classes; v++) sumZ += z[v];
                total += (1 - labelSmoothing) * (logSumExp - z[target]) + labelSmoothing * (logSumExp - sumZ / classes);
            }
            if (wantGradient)
            {
                var g = dLogits.Slice(r * classes, classes);
                float uniform = labelSmoothing / classes * scale;
                for (int v = 0; v < classes; v++) g[v] = (float)Math.Exp(z[v] - logSumExp) * scale - uniform;
                g[target] -= (1f - labelSmoothing) * scale;
            }
        }
        return (count > 0 ? total / count : 0.0, count);
    }
}
