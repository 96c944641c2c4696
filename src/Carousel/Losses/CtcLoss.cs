namespace Carousel.Losses;

/// <summary>
/// Connectionist temporal classification (Graves, Fernández, Gomez &amp; Schmidhuber 2006), as PyTorch's nn.CTCLoss:
/// −log p(target | input), summed over every alignment of the target to the input steps that reads the target after
/// removing repeats and then blanks. Computed by the forward-backward recursion in log space, in double precision.
/// </summary>
/// <remarks>
/// The target l (L labels) is extended with blanks to l' = (blank, l₁, blank, l₂, …, l_L, blank), S = 2L + 1 states.
/// α_t(s) sums the alignments of l'₁..s to steps 0..t, β_t(s) those of l'_s.. to steps t..T−1; a label may follow the
/// label two states back only if the two differ (a repeated label needs a blank between), so a target with R repeats
/// needs T ≥ L + R steps; with fewer the loss is +∞ (0 with <c>zeroInfinity</c>). The gradient is PyTorch's:
/// ∂loss/∂lp[t, k] = exp(lp[t, k]) − γ_t(k), with γ_t(k) = Σ_{s: l'_s = k} α_t(s)β_t(s) / (p·exp(lp[t, k])) the
/// posterior of label k at step t. It assumes that the log-probabilities are normalized (a log-softmax's output):
/// through the log-softmax it is the exact gradient softmax − γ with respect to the logits. Steps at or past a
/// sequence's input length, and sequences whose loss is infinite, get zero gradient.
/// </remarks>
public static class CtcLoss
{
    /// <summary>
    /// The CTC loss of log-probabilities [T, B, C] (time-major; step t of sequence b at (t·B + b)·C) against
    /// <paramref name="targets"/> (one label array per sequence, no blanks), reading the first
    /// <paramref name="inputLengths"/>[b] steps of sequence b.
    /// </summary>
    /// <param name="logProbs">[T, B, C] log-probabilities, normally a log-softmax over C.</param>
    /// <param name="steps">T.</param>
    /// <param name="batch">B.</param>
    /// <param name="classes">C, the blank included.</param>
    /// <param name="targets">B label sequences, each label in [0, C) and not the blank; may be empty.</param>
    /// <param name="inputLengths">[B] steps of each sequence, 0..T.</param>
    /// <param name="dLogProbs">Empty, or [T, B, C] that receives (is overwritten with) the gradient of the reduced loss.</param>
    /// <param name="reduction">How the per-sequence losses combine (for <see cref="CtcReduction.None"/> the gradient is that of their sum).</param>
    /// <param name="zeroInfinity">PyTorch's zero_infinity: an infeasible sequence's loss and gradient become 0.</param>
    /// <param name="blank">The blank's class.</param>
    public static CtcResult Compute(ReadOnlySpan<float> logProbs, int steps, int batch, int classes, IReadOnlyList<int[]> targets,
        ReadOnlySpan<int> inputLengths, Span<float> dLogProbs, CtcReduction reduction = CtcReduction.Mean, bool zeroInfinity = false, int blank = 0)
    {
        if (steps < 0 || batch <= 0 || classes < 2) throw new ArgumentException($"Expected [T ≥ 0, B ≥ 1, C ≥ 2], got [{steps}, {batch}, {classes}].");
        if (logProbs.Length != steps * batch * classes) throw new ArgumentException($"Expected log-probabilities [{steps}, {batch}, {classes}], got {logProbs.Length} values.");
        if (targets.Count != batch || inputLengths.Length != batch) throw new ArgumentException($"Expected {batch} targets and input lengths, got {targets.Count} and {inputLengths.Length}.");
        if ((uint)blank >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(blank), $"Blank {blank} outside 0..{classes - 1}.");
        bool wantGradient = !dLogProbs.IsEmpty;
        if (wantGradient)
        {
            if (dLogProbs.Length != logProbs.Length) throw new ArgumentException($"Expected a gradient buffer of {logProbs.Length} values, got {dLogProbs.Length}.");
            dLogProbs.Clear();
        }
        var perSequence = new double[batch];
        double total = 0;
        for (int b = 0; b < batch; b++)
        {
            int T = inputLengths[b];
            if ((uint)T > (uint)steps) throw new ArgumentOutOfRangeException(nameof(inputLengths), $"Input length {T} of sequence {b} outside 0..{steps}.");
            var target = targets[b];
            foreach (int label in target)
                if ((uint)label >= (uint)classes || label == blank)
                    throw new ArgumentOutOfRangeException(nameof(targets), $"Label {label} of sequence {b} is the blank or outside 0..{classes - 1}.");
            double scale = reduction == CtcReduction.Mean ? 1.0 / (Math.Max(target.Length, 1) * (double)batch) : 1.0;
            double loss = Sequence(logProbs, b, batch, classes, T, target, blank, wantGradient ? dLogProbs : default, scale);
            if (double.IsPositiveInfinity(loss) && zeroInfinity) loss = 0;
            perSequence[b] = loss;
            total += reduction == CtcReduction.Mean ? loss / Math.Max(target.Length, 1) : loss;
        }
        return new CtcResult(reduction == CtcReduction.Mean ? total / batch : total, perSequence);
    }

    /// <summary>The sequence's loss; when <paramref name="gradient"/> is not empty and the loss is finite, writes scale·(exp(lp) − γ) into its steps.</summary>
    private static double Sequence(ReadOnlySpan<float> logProbs, int b, int batch, int classes, int T, int[] target, int blank,
        Span<float> gradient, double scale)
    {
        int L = target.Length, S = 2 * L + 1;
        if (T == 0) return L == 0 ? 0 : double.PositiveInfinity;
        // Label of extended state s: blank at even s, target[(s − 1) / 2] at odd s.
        int Label(int s) => (s & 1) == 0 ? blank : target[s >> 1];
        // A label may be reached from two states back only if it differs from the label there.
        bool CanSkip(int s) => (s & 1) == 1 && s >= 2 && target[s >> 1] != target[(s >> 1) - 1];

        var alpha = new double[T * S]; // [T, S] log α
        var beta = new double[T * S];  // [T, S] log β
        Array.Fill(alpha, double.NegativeInfinity);
        Array.Fill(beta, double.NegativeInfinity);
        alpha[0] = logProbs[b * classes + blank];
        if (S > 1) alpha[1] = logProbs[b * classes + Label(1)];
        for (int t = 1; t < T; t++)
        {
            int row = t * S, previous = row - S;
            for (int s = 0; s < S; s++)
            {
                double a = alpha[previous + s];
                if (s >= 1) a = LogAdd(a, alpha[previous + s - 1]);
                if (CanSkip(s)) a = LogAdd(a, alpha[previous + s - 2]);
                alpha[row + s] = a + logProbs[(t * batch + b) * classes + Label(s)];
            }
        }
        int last = (T - 1) * S;
        double logLikelihood = S > 1 ? LogAdd(alpha[last + S - 1], alpha[last + S - 2]) : alpha[last];
        if (double.IsNegativeInfinity(logLikelihood)) return double.PositiveInfinity;
        if (gradient.IsEmpty) return -logLikelihood;

        beta[last + S - 1] = logProbs[((T - 1) * batch + b) * classes + blank];
        if (S > 1) beta[last + S - 2] = logProbs[((T - 1) * batch + b) * classes + Label(S - 2)];
        for (int t = T - 2; t >= 0; t--)
        {
            int row = t * S, next = row + S;
            for (int s = 0; s < S; s++)
            {
                double v = beta[next + s];
                if (s + 1 < S) v = LogAdd(v, beta[next + s + 1]);
                if (s + 2 < S && CanSkip(s + 2)) v = LogAdd(v, beta[next + s + 2]);
                beta[row + s] = v + logProbs[(t * batch + b) * classes + Label(s)];
            }
        }

        // γ_t(k) = exp(logsumexp_{s: l'_s = k}(α_t(s) + β_t(s)) − lp[t, k] − log p); labels absent at t have γ = 0.
        var occupancy = new double[classes]; // [C] log Σ α·β per label at one step
        for (int t = 0; t < T; t++)
        {
            Array.Fill(occupancy, double.NegativeInfinity);
            int row = t * S;
            for (int s = 0; s < S; s++)
            {
                int k = Label(s);
                occupancy[k] = LogAdd(occupancy[k], alpha[row + s] + beta[row + s]);
            }
            var g = gradient.Slice((t * batch + b) * classes, classes);
            for (int k = 0; k < classes; k++)
            {
                double lp = logProbs[(t * batch + b) * classes + k];
                double gamma = double.IsNegativeInfinity(occupancy[k]) ? 0 : Math.Exp(occupancy[k] - lp - logLikelihood);
                g[k] = (float)(scale * (Math.Exp(lp) - gamma));
            }
        }
        return -logLikelihood;
    }

    /// <summary>log(eᵃ + eᵇ) without overflow; −∞ is the identity.</summary>
    public static double LogAdd(double a, double b)
    {
        if (double.IsNegativeInfinity(a)) return b;
        if (double.IsNegativeInfinity(b)) return a;
        return a > b ? a + Math.Log(1 + Math.Exp(b - a)) : b + Math.Log(1 + Math.Exp(a - b));
    }

    /// <summary>
    /// The fewest input steps a target needs: its length plus one blank between each pair of equal neighbours
    /// (T ≥ L + repeats).
    /// </summary>
    public static int MinimumSteps(ReadOnlySpan<int> target)
    {
        int steps = target.Length;
        for (int i = 1; i < target.Length; i++)
            if (target[i] == target[i - 1]) steps++;
        return steps;
    }
}

/// <summary>What <see cref="CtcLoss.Compute"/> returns.</summary>
/// <param name="Loss">The reduced loss (for <see cref="CtcReduction.None"/>, the sum).</param>
/// <param name="PerSequence">[B] −log p(target | input) of each sequence (+∞ when infeasible, 0 with zeroInfinity).</param>
public sealed record CtcResult(double Loss, double[] PerSequence);
