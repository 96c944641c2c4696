using Carousel.Data;
using Carousel.Diagnostics;
using Carousel.Losses;
using Carousel.Models;

namespace Carousel.Training.Ctc;

/// <summary>Runs a CTC model over many sequences in length-bucketed batches and reads out label sequences.</summary>
public static class CtcInference
{
    /// <summary>
    /// The decoded label ids per sequence (in the order given): greedy when <paramref name="beam"/> is 1, else prefix beam
    /// search of that width. With <paramref name="loss"/>, also the mean CTC loss per label ('mean' reduction over all
    /// sequences, which must carry labels).
    /// </summary>
    public static int[][] Decode(SequenceTagger model, CtcSequences sequences, int batchSize, int beam, CtcLossTotal? loss = null)
    {
        bool wasTraining = model.Training;
        model.Training = false;
        int C = model.OutputCount;
        var decoded = new int[sequences.Count][];
        float[] logProbs = [];
        foreach (var examples in LengthBuckets.Plan(sequences.Lengths, batchSize, rng: null))
        {
            var (x, lengths, targets) = sequences.Batch(examples);
            int T = x.Dim(0), B = x.Dim(1);
            var logits = model.Forward(x, lengths); // [T, B, C]
            if (logProbs.Length != logits.Length) logProbs = new float[logits.Length];
            LogSoftmax.Forward(logits.Data, C, logProbs);
            if (loss is not null && targets is not null)
                loss.Add(CtcLoss.Compute(logProbs, T, B, C, targets, lengths, default, CtcReduction.None), targets);
            for (int b = 0; b < B; b++)
            {
                var own = logProbs.AsSpan(b * C);
                decoded[examples[b]] = beam <= 1
                    ? CtcDecoding.Greedy(own, lengths[b], C, B * C, CtcLabels.Blank)
                    : CtcDecoding.BeamSearch(own, lengths[b], C, B * C, beam, CtcLabels.Blank).Labels;
            }
        }
        model.Training = wasTraining;
        return decoded;
    }

    /// <summary>Label error rate (edits / reference labels) and sequence accuracy of decoded sequences against the references.</summary>
    public static TranscriptionMetrics Score(IReadOnlyList<int[]> decoded, IReadOnlyList<int[]> references)
    {
        var outputs = decoded.Select(d => d.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToList();
        var refs = references.Select(r => (IReadOnlyList<string[]>)[r.Select(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray()]).ToList();
        return TranscriptionMetrics.Compute(outputs, refs);
    }
}

/// <summary>The CTC loss summed over sequences as PyTorch's 'mean' reduction counts it: Σ loss / target length, and the sequences.</summary>
public sealed class CtcLossTotal
{
    /// <summary>Σ over sequences of loss / max(1, target length).</summary>
    public double Sum { get; private set; }
    /// <summary>Sequences added.</summary>
    public long Count { get; private set; }
    /// <summary>Sequences whose loss was infinite (left out of <see cref="Sum"/>).</summary>
    public long Infinite { get; private set; }
    /// <summary>The mean loss per label over the finite sequences (NaN before any).</summary>
    public double Mean => Count - Infinite > 0 ? Sum / (Count - Infinite) : double.NaN;

    /// <summary>Adds one batch's per-sequence losses.</summary>
    public void Add(CtcResult result, IReadOnlyList<int[]> targets)
    {
        for (int b = 0; b < targets.Count; b++)
        {
            Count++;
            if (double.IsFinite(result.PerSequence[b])) Sum += result.PerSequence[b] / Math.Max(1, targets[b].Length);
            else Infinite++;
        }
    }
}
