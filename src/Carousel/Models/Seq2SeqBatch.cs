using Carousel.Data;
using Carousel.Losses;

namespace Carousel.Models;

/// <summary>
/// A teacher-forced training batch: source ids [S, B] with lengths; decoder input [T, B] = start symbol then the
/// target (lengths = target length + 1); targets [T·B] = the target then the end symbol, padding ignored.
/// </summary>
/// <param name="Source">Source ids [S, B], padded, with each source's length.</param>
/// <param name="DecoderInput">[T, B]: the start symbol then the target, padded; lengths = target length + 1.</param>
/// <param name="Targets">[T·B] time-major: the target then the end symbol, <see cref="SoftmaxCrossEntropy.Ignore"/> at padding.</param>
public sealed record Seq2SeqBatch(PaddedBatch Source, PaddedBatch DecoderInput, int[] Targets)
{
    /// <summary>
    /// The batch of the pairs at <paramref name="examples"/> (indices into both lists of ids, without start or end
    /// symbols); both padded batches record those indices as their examples. An empty target is an error.
    /// </summary>
    public static Seq2SeqBatch From(IReadOnlyList<int[]> sources, IReadOnlyList<int[]> targets, ReadOnlySpan<int> examples)
    {
        var source = PaddedBatch.From(sources, examples, TokenVocabulary.PadId);
        var shifted = new int[examples.Length][];
        for (int b = 0; b < examples.Length; b++)
        {
            var target = targets[examples[b]];
            if (target.Length == 0) throw new ArgumentException($"Example {examples[b]} has an empty target.");
            shifted[b] = [TokenVocabulary.StartId, .. target];
        }
        var decoderInput = PaddedBatch.From(shifted, Enumerable.Range(0, examples.Length).ToArray(), TokenVocabulary.PadId);
        int T = decoderInput.Steps, B = examples.Length;
        var expected = new int[T * B];
        Array.Fill(expected, SoftmaxCrossEntropy.Ignore);
        for (int b = 0; b < B; b++)
        {
            var target = targets[examples[b]];
            for (int t = 0; t < target.Length; t++) expected[t * B + b] = target[t];
            expected[target.Length * B + b] = TokenVocabulary.EndId;
        }
        return new Seq2SeqBatch(source, decoderInput with { Examples = examples.ToArray() }, expected);
    }
}
