using Carousel.Losses;

namespace Carousel.Models;

/// <summary>
/// Reads a label sequence out of CTC log-probabilities [T, C] of one sequence: greedy (best path: the most likely class
/// at every step, repeats merged, blanks removed) or prefix beam search (Hannun et al. 2014: keeps the
/// <c>beamWidth</c> most likely label prefixes, each with the log-probability of all alignments that end in a blank and
/// of all that end in its last label, and merges alignments that read as the same prefix).
/// </summary>
public static class CtcDecoding
{
    /// <summary>
    /// Best path: argmax per step over the first <paramref name="steps"/> steps, repeats merged, blanks removed.
    /// <paramref name="logProbs"/> holds step t's C values at t·<paramref name="stride"/> (stride = B·C for a time-major batch).
    /// </summary>
    public static int[] Greedy(ReadOnlySpan<float> logProbs, int steps, int classes, int stride, int blank = 0)
    {
        var labels = new List<int>();
        int previous = blank;
        for (int t = 0; t < steps; t++)
        {
            var row = logProbs.Slice(t * stride, classes);
            int best = 0;
            for (int k = 1; k < classes; k++)
                if (row[k] > row[best]) best = k;
            if (best != blank && best != previous) labels.Add(best);
            previous = best;
        }
        return [.. labels];
    }

    /// <summary>
    /// Prefix beam search with <paramref name="beamWidth"/> prefixes kept per step: the most likely labelling found and its
    /// log-probability (the sum over its alignments that stayed in the beam; exact when no prefix was pruned).
    /// Layout of <paramref name="logProbs"/> as in <see cref="Greedy"/>.
    /// </summary>
    public static (int[] Labels, double LogProbability) BeamSearch(ReadOnlySpan<float> logProbs, int steps, int classes, int stride,
        int beamWidth, int blank = 0)
    {
        if (beamWidth < 1) throw new ArgumentOutOfRangeException(nameof(beamWidth), $"The beam width must be ≥ 1, got {beamWidth}.");
        // A prefix as a string of label chars (labels < 65536), so equal prefixes merge in a dictionary.
        var beams = new Dictionary<string, Score> { [""] = new Score(0, double.NegativeInfinity) };
        var next = new Dictionary<string, Score>();
        for (int t = 0; t < steps; t++)
        {
            var row = logProbs.Slice(t * stride, classes);
            next.Clear();
            foreach (var (prefix, score) in beams)
            {
                double total = score.Total;
                // A blank keeps the prefix and ends it in a blank.
                Add(next, prefix, total + row[blank], double.NegativeInfinity);
                if (prefix.Length > 0)
                {
                    // The last label again, without a blank between, merges into it.
                    int lastLabel = prefix[^1];
                    Add(next, prefix, double.NegativeInfinity, score.EndsInLabel + row[lastLabel]);
                }
                for (int k = 0; k < classes; k++)
                {
                    if (k == blank) continue;
                    string extended = prefix + (char)k;
                    // Repeating the last label as a new label needs a blank before it.
                    double from = prefix.Length > 0 && prefix[^1] == k ? score.EndsInBlank : total;
                    Add(next, extended, double.NegativeInfinity, from + row[k]);
                }
            }
            beams.Clear();
            foreach (var (prefix, score) in next.OrderByDescending(kv => kv.Value.Total).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(beamWidth))
                beams[prefix] = score;
        }
        var best = beams.OrderByDescending(kv => kv.Value.Total).ThenBy(kv => kv.Key, StringComparer.Ordinal).First();
        return ([.. best.Key.Select(c => (int)c)], best.Value.Total);
    }

    private static void Add(Dictionary<string, Score> beams, string prefix, double endsInBlank, double endsInLabel)
    {
        var old = beams.TryGetValue(prefix, out var s) ? s : new Score(double.NegativeInfinity, double.NegativeInfinity);
        beams[prefix] = new Score(CtcLoss.LogAdd(old.EndsInBlank, endsInBlank), CtcLoss.LogAdd(old.EndsInLabel, endsInLabel));
    }

    // Log-probabilities of a prefix's alignments so far that end in a blank and that end in its last label.
    private readonly record struct Score(double EndsInBlank, double EndsInLabel)
    {
        public double Total => CtcLoss.LogAdd(EndsInBlank, EndsInLabel);
    }
}
