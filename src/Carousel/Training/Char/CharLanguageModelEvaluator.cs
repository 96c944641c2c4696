using Carousel.Layers.Recurrent;
using Carousel.Models;

namespace Carousel.Training.Char;

/// <summary>How well a character model predicts a text: its mean loss per predicted character.</summary>
/// <param name="NatsPerChar">Mean cross-entropy of each character given the ones before it, in nats per character.</param>
/// <param name="Characters">Characters predicted: the text's length minus one (the first has nothing before it).</param>
public sealed record TextEvaluation(double NatsPerChar, long Characters)
{
    /// <summary>The same loss in bits per character: <see cref="NatsPerChar"/> / ln 2.</summary>
    public double BitsPerChar => NatsPerChar / Math.Log(2);
    /// <summary>e^<see cref="NatsPerChar"/>: how many equally likely characters the model is choosing among, on average.</summary>
    public double Perplexity => Math.Exp(NatsPerChar);
}

/// <summary>Scores a character language model on a whole text, as validation during training does.</summary>
public static class CharLanguageModelEvaluator
{
    /// <summary>
    /// Mean cross-entropy of predicting each character from the ones before it, over the whole text in one
    /// stream (batch 1, chunks of <paramref name="chunkLength"/>, state carried across chunks).
    /// </summary>
    public static TextEvaluation Evaluate(CharLanguageModel model, int[] ids, int chunkLength)
    {
        if (ids.Length < 2) throw new InvalidDataException("Evaluation needs a text of at least two characters.");
        bool wasTraining = model.Training;
        model.Training = false;
        try
        {
            RecurrentState? state = null;
            double total = 0;
            long count = 0;
            for (int start = 0; start + 1 < ids.Length; start += chunkLength)
            {
                int steps = Math.Min(chunkLength, ids.Length - 1 - start);
                var inputs = ids.AsSpan(start, steps).ToArray();
                var targets = ids.AsSpan(start + 1, steps).ToArray();
                (double loss, state) = model.Run(inputs, targets, steps, 1, state);
                total += loss * steps;
                count += steps;
            }
            return new TextEvaluation(total / count, count);
        }
        finally
        {
            model.Training = wasTraining;
        }
    }
}
