using Carousel.Data.Tasks;

namespace Carousel.Experiments;

/// <summary>
/// What the adding-problem experiments (exploding gradients, gradient flow) share: a one-layer network trained on
/// fixed-length adding-problem batches, checked alike, and scored on held-out sequences that depend only on the seed.
/// </summary>
public static class AddingProblemSetting
{
    /// <summary>Throws <see cref="ArgumentException"/> when T is below the adding problem's minimum or a size, rate or clip norm is not positive.</summary>
    public static void Validate(int length, int hiddenSize, int batchSize, float learningRate, double clipNorm)
    {
        if (length < MarkedPairProblem.SmallestMinLength) throw new ArgumentException($"The adding problem needs T ≥ {MarkedPairProblem.SmallestMinLength}, got {length}.");
        if (hiddenSize <= 0) throw new ArgumentException($"Hidden size must be positive, got {hiddenSize}.");
        if (batchSize <= 0) throw new ArgumentException($"Batch size must be positive, got {batchSize}.");
        if (!(learningRate > 0f)) throw new ArgumentException($"Learning rate must be positive, got {learningRate}.");
        if (!(clipNorm > 0)) throw new ArgumentException($"Clipping norm must be positive, got {clipNorm}.");
    }

    /// <summary>The held-out sequences of a seed, the same for every cell and run (drawn apart from the training batches).</summary>
    public static SequenceRegressionBatch TestBatch(int length, int seed, int count) =>
        new AddingProblem(length, variableLength: false, seed: seed + 2_000_000).NextBatch(count);
}
