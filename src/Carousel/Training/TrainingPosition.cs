using System.Text.Json.Serialization;

namespace Carousel.Training;

/// <summary>
/// Where a training run stands between two batches. With the weights and the optimizer state in DIR/last.safetensors it
/// is everything needed to continue exactly: the resumed run draws the same batches and dropout masks, takes the learning
/// rate at the same step and judges "best" against the same evaluation.
/// </summary>
public sealed record TrainingPosition
{
    /// <summary>Epochs finished.</summary>
    public int EpochsCompleted { get; init; }
    /// <summary>Batches of the epoch in progress already trained (0 at an epoch boundary).</summary>
    public int BatchesIntoEpoch { get; init; }
    /// <summary>Optimizer steps taken: the position of the learning-rate schedule.</summary>
    public long Step { get; init; }
    /// <summary>
    /// The batch generator's state that reproduces the coming batches (<see cref="IBatchSource{TBatch}.State"/>): for
    /// epochs of shuffled batches, its state before the epoch in progress drew its plan; for random windows, its state now.
    /// </summary>
    [JsonPropertyName("EpochStartBatchRng")]
    public ulong[] BatchRng { get; init; } = [];
    /// <summary>Where a stream of batches stands (contiguous text streams); 0 for other sources.</summary>
    public long StreamPosition { get; init; }
    /// <summary>The model's dropout generators (<see cref="Layers.IModule.DropoutRngs"/>), in order.</summary>
    public ulong[][] DropoutRngs { get; init; } = [];
    /// <summary>The sum of batch losses since the last evaluation, and how many.</summary>
    public double LossSum { get; init; }
    /// <summary>Batches in <see cref="LossSum"/>.</summary>
    public long LossCount { get; init; }
    /// <summary>Seconds trained so far, over every resume.</summary>
    public double ElapsedSeconds { get; init; }
    /// <summary>The best evaluation so far (null before the first).</summary>
    public Evaluation? BestEvaluation { get; init; }
    /// <summary>A record of the best evaluation as the trainers before the one training loop wrote it (JSON); read once, on resume.</summary>
    public string? Best { get; init; }
    /// <summary>A hash of the encoded training and dev data (<see cref="DataFingerprint"/>).</summary>
    public string DataFingerprint { get; init; } = "";
}
