using Carousel.Diagnostics;
using Carousel.Data;
using Carousel.Models;

namespace Carousel.Training.EncoderDecoder;

/// <summary>Decodes many sources in length-sorted batches and scores them against their references (PER, WER).</summary>
public static class Seq2SeqEvaluator
{
    /// <summary>
    /// The n-best list of every source (greedy when <paramref name="beams"/> is 1: one hypothesis each), in the
    /// sources' order. Batches group sources of similar length.
    /// </summary>
    public static List<Hypothesis>[] Decode(Seq2Seq model, IReadOnlyList<int[]> sources, int beams, double lengthPenalty = 0, int batchSize = 256) =>
        Decode([model], sources, beams, lengthPenalty, batchSize);

    /// <summary>
    /// As <see cref="Decode(Seq2Seq, IReadOnlyList{int[]}, int, double, int)"/> with an ensemble: each step scores symbols by
    /// the mean of the models' log-probabilities (models of both directions: see <see cref="Seq2SeqDecoding.Decode"/>).
    /// </summary>
    public static List<Hypothesis>[] Decode(IReadOnlyList<Seq2Seq> models, IReadOnlyList<int[]> sources, int beams, double lengthPenalty = 0, int batchSize = 256)
    {
        var wasTraining = models.Select(m => m.Training).ToArray();
        var result = new List<Hypothesis>[sources.Count];
        var lengths = sources.Select(s => s.Length).ToArray();
        foreach (var examples in LengthBuckets.Plan(lengths, batchSize, rng: null))
        {
            var batch = PaddedBatch.From(sources, examples, TokenVocabulary.PadId);
            var lists = Seq2SeqDecoding.Decode(models, batch, beams, lengthPenalty);
            for (int b = 0; b < examples.Length; b++) result[examples[b]] = lists[b];
        }
        for (int m = 0; m < models.Count; m++) models[m].Training = wasTraining[m];
        return result;
    }

    /// <summary>Decodes each source once and scores its best output against all its references.</summary>
    public static (TranscriptionMetrics Metrics, string[][] Outputs) Evaluate(Seq2Seq model, TokenVocabulary target,
        IReadOnlyList<int[]> sources, IReadOnlyList<IReadOnlyList<string[]>> references, int beams, double lengthPenalty = 0) =>
        Evaluate([model], target, sources, references, beams, lengthPenalty);

    /// <summary>Decodes each source once with the ensemble and scores its best output against all its references.</summary>
    public static (TranscriptionMetrics Metrics, string[][] Outputs) Evaluate(IReadOnlyList<Seq2Seq> models, TokenVocabulary target,
        IReadOnlyList<int[]> sources, IReadOnlyList<IReadOnlyList<string[]>> references, int beams, double lengthPenalty = 0)
    {
        var decoded = Decode(models, sources, beams, lengthPenalty);
        var outputs = decoded.Select(list => target.Decode(list[0].Tokens)).ToArray();
        return (TranscriptionMetrics.Compute(outputs, references), outputs);
    }
}
