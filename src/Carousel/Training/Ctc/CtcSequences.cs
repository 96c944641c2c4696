using Carousel.Data;
using Carousel.Losses;
using Carousel.Tensors;

namespace Carousel.Training.Ctc;

/// <summary>
/// Frame sequences prepared once for a CTC model: frames scaled by the model's normalisation, label ids (when known),
/// and each sequence's steps. A sequence whose labels need more steps than it has (T ≥ L + repeats) is an error
/// naming its source: CTC cannot read it.
/// </summary>
public sealed class CtcSequences
{
    /// <summary>Each sequence's normalised (and stacked) frames [T, F].</summary>
    public float[][] Frames { get; }
    /// <summary>Each sequence's label ids (1..K); null when the sequences have no labels (prediction).</summary>
    public int[][]? Targets { get; }
    /// <summary>Each sequence's steps T (after stacking).</summary>
    public int[] Lengths { get; }
    /// <summary>F: features per step (after stacking).</summary>
    public int Width { get; }
    /// <summary>Frames over all sequences.</summary>
    public long TotalSteps { get; }
    /// <summary>The number of sequences.</summary>
    public int Count => Frames.Length;

    /// <summary>Scales the frames, stacks every <paramref name="stack"/> of them into one step, and encodes the label sequences (when <paramref name="withLabels"/>).</summary>
    public CtcSequences(IReadOnlyList<FrameSequence> sequences, FeatureNormalization normalization, CtcLabels labels, bool withLabels, int stack = 1)
    {
        if (stack < 1) throw new ArgumentOutOfRangeException(nameof(stack), $"Stack must be ≥ 1, got {stack}.");
        Width = normalization.Width * stack;
        Frames = new float[sequences.Count][];
        Targets = withLabels ? new int[sequences.Count][] : null;
        Lengths = new int[sequences.Count];
        for (int i = 0; i < sequences.Count; i++)
        {
            var s = sequences[i];
            if (s.Steps == 0) throw new InvalidDataException($"{s.Source}: an empty sequence (no frames).");
            var scaled = normalization.Apply(s.Frames, s.Width, s.Source);
            int steps = (s.Steps + stack - 1) / stack;
            // Stacking k frames of F features side by side is the same row-major data, padded to a multiple of k frames.
            Frames[i] = stack == 1 ? scaled : scaled.Concat(new float[steps * Width - scaled.Length]).ToArray();
            Lengths[i] = steps;
            TotalSteps += steps;
            if (Targets is null) continue;
            if (s.Tokens is null) throw new InvalidDataException($"{s.Source}: no label sequence.");
            var target = Targets[i] = labels.Encode(s.Tokens, s.Source);
            int needed = CtcLoss.MinimumSteps(target);
            if (needed > steps)
                throw new InvalidDataException($"{s.Source}: {target.Length} labels need at least {needed} steps (one per label and a blank between repeats), the sequence has {steps}{(stack > 1 ? $" ({s.Steps} frames stacked by {stack})" : "")}.");
        }
    }

    /// <summary>The chosen sequences padded with zeros time-major: x [T, B, F] (T the longest), their lengths [B] and targets.</summary>
    public (Tensor X, int[] Lengths, int[][]? Targets) Batch(ReadOnlySpan<int> examples)
    {
        int B = examples.Length, T = 0;
        foreach (int e in examples) T = Math.Max(T, Lengths[e]);
        var x = new Tensor(T, B, Width);
        var lengths = new int[B];
        for (int b = 0; b < B; b++)
        {
            int e = examples[b];
            lengths[b] = Lengths[e];
            for (int t = 0; t < lengths[b]; t++)
                Frames[e].AsSpan(t * Width, Width).CopyTo(x.Data.AsSpan((t * B + b) * Width, Width));
        }
        int[][]? targets = null;
        if (Targets is not null)
        {
            targets = new int[B][];
            for (int b = 0; b < B; b++) targets[b] = Targets[examples[b]];
        }
        return (x, lengths, targets);
    }
}
