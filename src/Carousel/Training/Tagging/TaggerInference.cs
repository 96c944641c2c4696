using System.Numerics.Tensors;
using Carousel.Diagnostics;
using Carousel.Data;
using Carousel.Losses;
using Carousel.Models;

namespace Carousel.Training.Tagging;

/// <summary>Runs a tagger over many sequences in length-bucketed batches: the most likely label per character.</summary>
public static class TaggerInference
{
    /// <summary>The batch of a dev evaluation during training: the training batch, at least 64 (forward only, so larger batches are cheap).</summary>
    public static int DevBatch(int trainingBatch) => Math.Max(trainingBatch, 64);

    /// <summary>
    /// Predicted label ids per sequence (in the order given). When the sequences carry labels and
    /// <paramref name="metrics"/> is given, adds the confusion counts and the loss to it.
    /// </summary>
    public static int[][] Predict(SequenceTagger model, TaggedSequences sequences, int batchSize, ClassificationMetrics? metrics = null)
    {
        bool wasTraining = model.Training;
        model.Training = false;
        int K = model.OutputCount;
        var predictions = new int[sequences.Count][];
        foreach (var examples in LengthBuckets.Plan(sequences.Lengths, batchSize, rng: null))
        {
            var (batch, targets) = sequences.Batch(examples);
            int T = batch.Steps, B = batch.BatchSize;
            var logits = model.Forward(batch.Ids, T, B, batch.Lengths); // [T, B, K]
            if (metrics is not null && targets is not null)
            {
                var (loss, count) = SoftmaxCrossEntropy.Compute(logits.Data, targets, K, default);
                metrics.AddLoss(loss, count);
            }
            for (int b = 0; b < B; b++)
            {
                int example = examples[b];
                var labels = predictions[example] = new int[batch.Lengths[b]];
                for (int t = 0; t < labels.Length; t++)
                {
                    labels[t] = TensorPrimitives.IndexOfMax(logits.Data.AsSpan((t * B + b) * K, K));
                    if (metrics is not null && sequences.Labels is not null) metrics.Add(sequences.Labels[example][t], labels[t]);
                }
            }
        }
        model.Training = wasTraining;
        return predictions;
    }
}
