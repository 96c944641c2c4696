using Carousel.Layers.Recurrent;
using Carousel.Optimizers;

namespace Carousel.Training.Tagging;

/// <summary>Everything that defines a sequence-tagger training run: the model's sizes and the optimization.</summary>
public sealed record TaggerTrainingOptions
{
    public CellKind Cell { get; init; } = CellKind.Lstm;
    public int Hidden { get; init; } = 128;
    public int Layers { get; init; } = 2;
    public bool Bidirectional { get; init; }
    /// <summary>Size of the character embedding (the recurrent stack's input).</summary>
    public int Embedding { get; init; } = 32;
    /// <summary>Dropout between recurrent layers while training.</summary>
    public float Dropout { get; init; }
    /// <summary>Sequences per batch (bucketed by length).</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw.</summary>
    public string Optimizer { get; init; } = "adam";
    public float LearningRate { get; init; } = 2e-3f;
    public float Momentum { get; init; } = 0.9f;
    public float WeightDecay { get; init; }
    /// <summary>constant, step or cosine: see <see cref="LearningRateScheduleSettings"/>.</summary>
    public string Schedule { get; init; } = "constant";
    public long WarmupSteps { get; init; }
    public float DecayRate { get; init; } = 0.97f;
    /// <summary>First epoch with a decayed rate under the step schedule (0: the default, after ten epochs).</summary>
    public int DecayFrom { get; init; }
    /// <summary>Global gradient-norm clip (0: off).</summary>
    public float GradClip { get; init; } = 5f;
    /// <summary>Passes over the training examples; ignored when <see cref="Steps"/> is positive.</summary>
    public double Epochs { get; init; } = 5;
    /// <summary>Optimizer steps (0: from <see cref="Epochs"/>).</summary>
    public long Steps { get; init; }
    /// <summary>Steps between dev evaluations (0: once per epoch).</summary>
    public long EvalEvery { get; init; }
    public ulong Seed { get; init; }
    public int Threads { get; init; } = Math.Min(2, Environment.ProcessorCount);

    public void Validate()
    {
        static void Require(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Require(Hidden > 0, $"--hidden must be positive, got {Hidden}.");
        Require(Layers > 0, $"--layers must be positive, got {Layers}.");
        Require(Embedding > 0, $"--embedding must be positive, got {Embedding}.");
        Require(Dropout >= 0 && Dropout < 1, $"--dropout must be in [0, 1), got {Dropout}.");
        Require(BatchSize > 0, $"--batch-size must be positive, got {BatchSize}.");
        Require(LearningRate > 0 && float.IsFinite(LearningRate), $"--lr must be positive, got {LearningRate}.");
        Require(GradClip >= 0, $"--grad-clip must be ≥ 0 (0 turns clipping off), got {GradClip}.");
        Require(Steps >= 0, $"--steps must be ≥ 0, got {Steps}.");
        Require(Steps > 0 || (Epochs > 0 && double.IsFinite(Epochs)), $"--epochs must be positive, got {Epochs}.");
        Require(EvalEvery >= 0, $"--eval-every must be ≥ 0, got {EvalEvery}.");
        Require(Threads > 0, $"--threads must be positive, got {Threads}.");
        Require(OptimizerSettings.IsKnown(Optimizer), $"Unknown --optimizer '{Optimizer}': expected {OptimizerSettings.Names}.");
        ScheduleSettings.Validate();
    }

    /// <summary>The schedule fields as one value (not serialized: the options' JSON keeps its flat fields).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public LearningRateScheduleSettings ScheduleSettings
    {
        get => new(Schedule, WarmupSteps, DecayRate, DecayFrom);
        init => (Schedule, WarmupSteps, DecayRate, DecayFrom) = (value.Name, value.WarmupSteps, value.DecayRate, value.DecayFrom);
    }

    public RecurrentOptions RecurrentOptions() => new(Cell, Embedding, Hidden, Layers, Bidirectional, Dropout);

    public OptimizerSettings ToOptimizerSettings() => new(Optimizer, LearningRate, Momentum, WeightDecay);

    public LearningRateSchedule CreateSchedule(long totalSteps, long stepsPerEpoch) =>
        ScheduleSettings.Create(totalSteps, stepsPerEpoch);
}
