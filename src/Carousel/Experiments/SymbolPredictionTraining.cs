using Carousel.Data.Tasks;
using Carousel.Layers;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Training;

namespace Carousel.Experiments;

/// <summary>
/// Next-symbol prediction toward the set of legal next symbols, trained in memory through the one training loop: a
/// <see cref="SequenceTagger"/> with one sigmoid output per symbol and binary cross-entropy over the steps inside each
/// string (padding adds nothing). What the embedded Reber grammar and aⁿbⁿcⁿ experiments share; each brings its batches
/// and its checks.
/// </summary>
/// <param name="tagger">The network trained.</param>
public abstract class SymbolPredictionTraining(SequenceTagger tagger) : InMemoryTrainable<SymbolPredictionBatch>
{
    /// <summary>The network trained.</summary>
    public SequenceTagger Tagger { get; } = tagger;

    /// <inheritdoc/>
    public override IModule Model => Tagger;

    /// <summary>Forward, the mean sigmoid cross-entropy over the outputs of the steps inside the strings, backward.</summary>
    public override BatchLoss TrainBatch(SymbolPredictionBatch batch)
    {
        Tagger.Training = true;
        var logits = Tagger.Forward(batch.Inputs, batch.Lengths);
        var dLogits = new float[logits.Length];
        double loss = SigmoidBinaryCrossEntropy.Compute(logits.Data, batch.Targets.Data, batch.SymbolCount, ActiveRows(batch, out long symbols), dLogits);
        Tagger.Backward(dLogits);
        return new BatchLoss(loss, symbols);
    }

    // [T·B] whether step t of row b is inside its string; symbols: how many are.
    private static bool[] ActiveRows(SymbolPredictionBatch batch, out long symbols)
    {
        var active = new bool[batch.Steps * batch.BatchSize];
        symbols = 0;
        for (int t = 0; t < batch.Steps; t++)
            for (int b = 0; b < batch.BatchSize; b++)
                if (t < batch.Lengths[b])
                {
                    active[t * batch.BatchSize + b] = true;
                    symbols++;
                }
        return active;
    }
}
