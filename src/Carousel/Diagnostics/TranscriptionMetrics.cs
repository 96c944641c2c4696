namespace Carousel.Diagnostics;

/// <summary>
/// Phoneme error rate and word error rate of transcriptions against one or more references per word.
/// For each word the closest reference is the one with the fewest edits to the output (ties: the first in
/// file order); PER = Σ edits to the closest reference / Σ length of that reference, over all words.
/// WER = share of words whose output equals none of their references.
/// </summary>
/// <param name="Words">The number of words transcribed.</param>
/// <param name="WrongWords">Words whose output matches none of their references.</param>
/// <param name="Edits">Total edits (insertions, deletions, substitutions) to each word's closest reference.</param>
/// <param name="ReferenceLength">Total length, in phonemes, of those closest references.</param>
public sealed record TranscriptionMetrics(int Words, int WrongWords, long Edits, long ReferenceLength)
{
    /// <summary>PER: edits per reference phoneme, Edits / ReferenceLength (0 when there are no references).</summary>
    public double PhonemeErrorRate => ReferenceLength == 0 ? 0 : (double)Edits / ReferenceLength;
    /// <summary>WER: the share of words transcribed wrong, WrongWords / Words (0 when there are none).</summary>
    public double WordErrorRate => Words == 0 ? 0 : (double)WrongWords / Words;

    /// <summary>Scores outputs[i] against references[i] (each at least one reference).</summary>
    public static TranscriptionMetrics Compute(IReadOnlyList<string[]> outputs, IReadOnlyList<IReadOnlyList<string[]>> references)
    {
        if (outputs.Count != references.Count) throw new ArgumentException($"{outputs.Count} outputs for {references.Count} reference sets.");
        int wrong = 0;
        long edits = 0, length = 0;
        for (int i = 0; i < outputs.Count; i++)
        {
            if (references[i].Count == 0) throw new ArgumentException($"Word {i} has no reference.");
            int best = int.MaxValue, bestLength = 0;
            foreach (var reference in references[i])
            {
                int d = EditDistance(outputs[i], reference);
                if (d < best) { best = d; bestLength = reference.Length; }
            }
            if (best > 0) wrong++;
            edits += best;
            length += bestLength;
        }
        return new TranscriptionMetrics(outputs.Count, wrong, edits, length);
    }

    /// <summary>Levenshtein distance: the fewest insertions, deletions and substitutions turning a into b.</summary>
    public static int EditDistance<T>(IReadOnlyList<T> a, IReadOnlyList<T> b)
    {
        var comparer = EqualityComparer<T>.Default;
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (int j = 0; j <= b.Count; j++) previous[j] = j;
        for (int i = 1; i <= a.Count; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Count; j++)
            {
                int substitute = previous[j - 1] + (comparer.Equals(a[i - 1], b[j - 1]) ? 0 : 1);
                current[j] = Math.Min(substitute, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }
}
