using Carousel.Layers.Recurrent;
using Carousel.Optimizers;

namespace Carousel.Training;

public enum BatchingMode
{
    /// <summary>Independent windows at random offsets; no state carried between batches.</summary>
    Random,
    /// <summary>char-rnn's contiguous streams with the state carried between chunks (truncated BPTT).</summary>
    Stream,
}

/// <summary>Everything that defines a character language-model training run (char-rnn's knobs).</summary>
public sealed record CharTrainingOptions
{
    public CellKind Cell { get; init; } = CellKind.Lstm;
    public int Hidden { get; init; } = 256;
    public int Layers { get; init; } = 2;
    /// <summary>0: the hidden size.</summary>
    public int Embedding { get; init; }
    public float Dropout { get; init; }
    public int SeqLength { get; init; } = 100;
    public int BatchSize { get; init; } = 32;
    /// <summary>sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw.</summary>
    public string Optimizer { get; init; } = "adam";
    public float LearningRate { get; init; } = 2e-3f;
    public float Momentum { get; init; } = 0.9f;
    public float WeightDecay { get; init; }
    /// <summary>constant, step (char-rnn's decay) or cosine (with warm-up).</summary>
    public string Schedule { get; init; } = "constant";
    public float DecayRate { get; init; } = 0.97f;
    /// <summary>Steps between decays of the step schedule (0: one epoch).</summary>
    public long DecayEvery { get; init; }
    /// <summary>Steps before the step schedule starts to decay (0: from <see cref="DecayFrom"/>, else ten epochs, as char-rnn).</summary>
    public long DecayAfter { get; init; }
    /// <summary>First epoch with a decayed rate under the step schedule (0: see <see cref="DecayAfter"/>).</summary>
    public int DecayFrom { get; init; }
    public long WarmupSteps { get; init; }
    public float GradClip { get; init; } = 5f;
    /// <summary>Clip each gradient element to ±GradClip instead of the global norm.</summary>
    public bool ClipByValue { get; init; }
    public long Steps { get; init; } = 3000;
    public double ValFraction { get; init; } = 0.1;
    public int EvalEvery { get; init; } = 500;
    public ulong Seed { get; init; }
    /// <summary>Threads for the kernels and the batch-split time loops; both cores by default (measured faster).</summary>
    public int Threads { get; init; } = Math.Min(2, Environment.ProcessorCount);
    public BatchingMode Batching { get; init; } = BatchingMode.Random;

    public void Validate()
    {
        static void Require(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Require(Hidden > 0, $"--hidden must be positive, got {Hidden}.");
        Require(Layers > 0, $"--layers must be positive, got {Layers}.");
        Require(Embedding >= 0, $"--embedding must be ≥ 0, got {Embedding}.");
        Require(Dropout >= 0 && Dropout < 1, $"--dropout must be in [0, 1), got {Dropout}.");
        Require(SeqLength > 0, $"--seq-length must be positive, got {SeqLength}.");
        Require(BatchSize > 0, $"--batch-size must be positive, got {BatchSize}.");
        Require(LearningRate > 0 && float.IsFinite(LearningRate), $"--lr must be positive, got {LearningRate}.");
        Require(GradClip >= 0, $"--grad-clip must be ≥ 0 (0 turns clipping off), got {GradClip}.");
        Require(Steps > 0, $"--steps must be positive, got {Steps}.");
        Require(ValFraction >= 0 && ValFraction < 1, $"--val-fraction must be in [0, 1), got {ValFraction}.");
        Require(EvalEvery > 0, $"--eval-every must be positive, got {EvalEvery}.");
        Require(Threads > 0, $"--threads must be positive, got {Threads}.");
        Require(DecayEvery >= 0 && DecayAfter >= 0, "Schedule step counts must be ≥ 0.");
        Require(DecayAfter == 0 || DecayFrom == 0, "Give --decay-after (steps) or --decay-from (epoch), not both.");
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

    // Methods, not properties: the options' JSON (in every char checkpoint) keeps its flat fields.
    public OptimizerSettings ToOptimizerSettings() => new(Optimizer, LearningRate, Momentum, WeightDecay);

    public LearningRateSchedule CreateSchedule(long stepsPerEpoch) =>
        ScheduleSettings.Create(Steps, stepsPerEpoch, DecayEvery, DecayAfter);
}
