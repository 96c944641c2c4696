using Carousel.Data;
using Carousel.Models;

namespace Carousel.Training.Classification;

/// <summary>Class probabilities for whole texts, in batches bucketed by length, in the order given.</summary>
public static class SequenceClassifierPredictor
{
    /// <summary>Encoded texts [N][T_n] → probabilities [N, K].</summary>
    public static float[] Probabilities(SequenceClassifier model, int[][] sequences, int batchSize = 64)
    {
        int K = model.Classes;
        var result = new float[sequences.Length * K];
        bool wasTraining = model.Training;
        model.Training = false;
        try
        {
            var lengths = sequences.Select(s => s.Length).ToArray();
            foreach (var examples in LengthBuckets.Plan(lengths, batchSize, rng: null))
            {
                var batch = PaddedBatch.From(sequences, examples, TextSymbols.UnknownId);
                var logits = model.Forward(batch);
                for (int b = 0; b < examples.Length; b++)
                    System.Numerics.Tensors.TensorPrimitives.SoftMax(logits.AsSpan(b * K, K), result.AsSpan(examples[b] * K, K));
            }
        }
        finally
        {
            model.Training = wasTraining;
        }
        return result;
    }
}
