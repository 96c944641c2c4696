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
    /// <summary>Each sequence's normalised frames [T, F].</summary>
    public float[][] Frames { get; }
    /// <summary>Each sequence's label ids (1..K); null when the sequences have no labels (prediction).</summary>
    public int[][]? Targets { get; }
    /// <summary>Each sequence's steps T.</summary>
    public int[] Lengths { get; }
    /// <summary>F: features per frame.</summary>
    public int Width { get; }
    /// <summary>Frames over all sequences.</summary>
    public long TotalSteps { get; }
    /// <summary>The number of sequences.</summary>
    public int Count => Frames.Length;

    /// <summary>Scales the frames and encodes the label sequences (when <paramref name="withLabels"/>).</summary>
    public CtcSequences(IReadOnlyList<FrameSequence> sequences, FeatureNormalization normalization, CtcLabels labels, bool withLabels)
    {
        Width = normalization.Width;
        Frames = new float[sequences.Count][];
        Targets = withLabels ? new int[sequences.Count][] : null;
        Lengths = new int[sequences.Count];
        for (int i = 0; i < sequences.Count; i++)
        {
            var s = sequences[i];
            if (s.Steps == 0) throw new InvalidDataException($"{s.Source}: an empty sequence (no frames).");
            Frames[i] = normalization.Apply(s.Frames, s.Width, s.Source);
            Lengths[i] = s.Steps;
            TotalSteps += s.Steps;
            if (Targets is null) continue;
            if (s.Tokens is null) throw new InvalidDataException($"{s.Source}: no label sequence.");
            var target = Targets[i] = labels.Encode(s.Tokens, s.Source);
            int needed = CtcLoss.MinimumSteps(target);
            if (needed > s.Steps)
                throw new InvalidDataException($"{s.Source}: {target.Length} labels need at least {needed} frames (one per label and a blank between repeats), the sequence has {s.Steps}.");
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
