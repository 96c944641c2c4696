using Carousel.Data.Tasks;

namespace Carousel.Experiments;

/// <summary>
/// What the adding-problem experiments (exploding gradients, gradient flow) share: a one-layer network trained on
/// fixed-length adding-problem batches, checked alike, and scored on held-out sequences that depend only on the seed.
/// </summary>
public static class AddingProblemSetting
{
    /// <summary>Refuses a setting that cannot be meant (a <see cref="SettingException"/> naming the options' Length, HiddenSize, ...).</summary>
    public static void Validate(int length, int hiddenSize, int batchSize, float learningRate, double clipNorm)
    {
        SettingException.Require(length >= MarkedPairProblem.SmallestMinLength, "Length",
            $"Length (the adding problem's T) must be ≥ {MarkedPairProblem.SmallestMinLength}, got {length}.");
        SettingException.Require(hiddenSize > 0, "HiddenSize", $"HiddenSize must be positive, got {hiddenSize}.");
        SettingException.Require(batchSize > 0, "BatchSize", $"BatchSize must be positive, got {batchSize}.");
        SettingException.Require(learningRate > 0f && float.IsFinite(learningRate), "LearningRate", $"LearningRate must be positive, got {learningRate}.");
        SettingException.Require(clipNorm > 0 && double.IsFinite(clipNorm), "ClipNorm", $"ClipNorm must be positive, got {clipNorm}.");
    }

    /// <summary>The held-out sequences of a seed, the same for every cell and run (drawn apart from the training batches).</summary>
    public static SequenceRegressionBatch TestBatch(int length, int seed, int count) =>
        new AddingProblem(length, variableLength: false, seed: seed + 2_000_000).NextBatch(count);
}
