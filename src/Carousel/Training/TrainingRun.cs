using Carousel.Distributed;
using Carousel.Optimizers;

namespace Carousel.Training;

/// <summary>How the one training loop runs: the optimization, the length, when to evaluate, where to write and what to resume.</summary>
public sealed record TrainingRun
{
    /// <summary>The optimizer by name and its numbers.</summary>
    public required OptimizerSettings Optimizer { get; init; }
    /// <summary>The learning rate at every step (its base rate is <see cref="OptimizerSettings.LearningRate"/>).</summary>
    public LearningRateSchedule Schedule { get; init; } = new LearningRateSchedule.Constant();
    /// <summary>
    /// Clip gradients to this (0: off): the global norm, or each element with <see cref="ClipByValue"/>. A double, as
    /// <see cref="GradientClipping.ClipByGlobalNorm"/> takes it, so a bound such as 0.3 is used exactly as given.
    /// </summary>
    public double GradClip { get; init; }
    /// <summary>Clip each gradient element to ±<see cref="GradClip"/> instead of the global norm.</summary>
    public bool ClipByValue { get; init; }
    /// <summary>
    /// Stop with <see cref="TrainingDivergedException"/> before the step when the loss or the gradient becomes infinite or
    /// NaN (the default). False: take the step and report it (an experiment that shows divergence), the caller decides.
    /// </summary>
    public bool StopOnDivergence { get; init; } = true;
    /// <summary>Threads for the matrix kernels and the batch-split time loops during this run.</summary>
    public int Threads { get; init; } = 1;
    /// <summary>The optimizer step the run ends at.</summary>
    public required long PlannedSteps { get; init; }
    /// <summary>Evaluate every this many steps (0: not by steps); the last step is always evaluated.</summary>
    public long EvaluateEvery { get; init; }
    /// <summary>Evaluate at the end of every epoch.</summary>
    public bool EvaluateAtEpochEnd { get; init; } = true;
    /// <summary>
    /// The run's directory: checkpoint.safetensors and model.safetensors (the best evaluation's model), last.safetensors
    /// (where the run stands) and metrics.jsonl. Null: nothing is written (an experiment in memory).
    /// </summary>
    public string? Directory { get; init; }
    /// <summary>
    /// Whether a fresh run may replace a run already in <see cref="Directory"/> (its position is forgotten as training
    /// begins; its checkpoints are replaced as this run saves). Without it such a directory is refused.
    /// </summary>
    public bool Overwrite { get; init; }
    /// <summary>
    /// Keep the weights of the last this many epoch ends as DIR/epochs/epoch-NNNN.safetensors (a checkpoint of the model's
    /// kind, without optimizer state; older ones are deleted), for checkpoint averaging (0: none kept).
    /// </summary>
    public int KeepEpochs { get; init; }
    /// <summary>
    /// The processes that train the run together: <see cref="SingleProcess"/> (the default), or an
    /// <see cref="MpiCommunicator"/> under mpirun, where each trains its shard of every batch (data-parallel).
    /// </summary>
    public ICommunicator Communicator { get; init; } = SingleProcess.Instance;
    /// <summary>A saved run to continue exactly (its DIR/last.safetensors), or null for a fresh run.</summary>
    public LastCheckpoint? Resume { get; init; }
}
