using System.Text.Json.Serialization;
using Carousel.Optimizers;

namespace Carousel.Training;

/// <summary>
/// What every trainer's options share, defined and validated once: the optimizer and its numbers, the learning-rate
/// schedule, gradient clipping, the batch size, the seed and the threads. Each trainer's options record derives from it
/// and adds its model and data fields (and its length of training, whose unit differs: epochs, fractional epochs or
/// steps).
/// </summary>
/// <remarks>
/// A base record rather than a member so that the options' JSON, stored in every checkpoint and compared field by field
/// on --resume (<see cref="RunIdentity"/>), keeps its flat fields ("LearningRate", "Schedule", ...).
/// The defaults here are those of most trainers; a derived record sets its own in its constructor.
/// </remarks>
public abstract record TrainingLoopSettings
{
    /// <summary>One of <see cref="OptimizerSettings.Names"/>.</summary>
    public string Optimizer { get; init; } = "adam";
    /// <summary>The base learning rate (--lr), before warm-up and schedule.</summary>
    public float LearningRate { get; init; } = 2e-3f;
    /// <summary>Used by momentum and nesterov only.</summary>
    public float Momentum { get; init; } = 0.9f;
    /// <summary>L2 penalty (decoupled for adamw, where 0 means 0.01).</summary>
    public float WeightDecay { get; init; }
    /// <summary>constant, step or cosine: see <see cref="LearningRateScheduleSettings"/>.</summary>
    public string Schedule { get; init; } = "constant";
    /// <summary>Optimizer steps over which the rate ramps linearly up from 0 before the schedule takes over (0: none).</summary>
    public long WarmupSteps { get; init; }
    /// <summary>The step schedule multiplies the rate by this every epoch from <see cref="DecayFrom"/> on.</summary>
    public float DecayRate { get; init; } = 0.97f;
    /// <summary>First epoch (1-based) with a decayed rate under the step schedule (0: the default, after ten epochs).</summary>
    public int DecayFrom { get; init; }
    /// <summary>Clip the global gradient norm to this (0: off).</summary>
    public float GradClip { get; init; } = 5f;
    /// <summary>Examples per optimizer step: texts, sequences or pairs (for the character model, windows of text).</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Seeds the initial weights, the batch order and the dropout masks: the same seed on the same data gives the same run.</summary>
    public ulong Seed { get; init; }
    /// <summary>Threads for the matrix kernels.</summary>
    public int Threads { get; init; } = 1;
    /// <summary>Clip each gradient element to ±GradClip instead of the global norm.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] // runs saved before it existed compare equal on resume
    public virtual bool ClipByValue { get; init; }
    /// <summary>
    /// Start every sequence from a learned initial state (initial_h_l{k}, initial_c_l{k}, trained with the weights) instead
    /// of zeros; where a state is carried between chunks, only where a stream starts.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool LearnedInitialState { get; init; }

    /// <summary>The initial state that <see cref="LearnedInitialState"/> asks for.</summary>
    [JsonIgnore]
    public Carousel.Layers.Recurrent.InitialStateMode InitialStateMode =>
        LearnedInitialState ? Carousel.Layers.Recurrent.InitialStateMode.Learned : Carousel.Layers.Recurrent.InitialStateMode.Zero;

    /// <summary>The schedule fields as one value (not serialized: the options' JSON keeps its flat fields).</summary>
    [JsonIgnore]
    public LearningRateScheduleSettings ScheduleSettings
    {
        get => new(Schedule, WarmupSteps, DecayRate, DecayFrom);
        init => (Schedule, WarmupSteps, DecayRate, DecayFrom) = (value.Name, value.WarmupSteps, value.DecayRate, value.DecayFrom);
    }

    // A method, not a property: the options' JSON keeps its flat fields.
    /// <summary>The optimizer fields as one value: name, base learning rate, momentum and weight decay.</summary>
    public OptimizerSettings ToOptimizerSettings() => new(Optimizer, LearningRate, Momentum, WeightDecay);

    /// <summary>The learning rate at every step of a run of <paramref name="plannedSteps"/> steps with epochs of <paramref name="stepsPerEpoch"/>.</summary>
    public virtual LearningRateSchedule CreateSchedule(long plannedSteps, long stepsPerEpoch) => ScheduleSettings.Create(plannedSteps, stepsPerEpoch);

    /// <summary>
    /// The one loop's settings for a run of these options: optimizer, schedule, clipping and threads from here; the length,
    /// the evaluations, the directory (null: nothing written) and the run to continue from the caller.
    /// </summary>
    public TrainingRun ToRun(long plannedSteps, long stepsPerEpoch, string? directory, LastCheckpoint? resume) => new()
    {
        Optimizer = ToOptimizerSettings(),
        Schedule = CreateSchedule(plannedSteps, stepsPerEpoch),
        GradClip = GradClip,
        ClipByValue = ClipByValue,
        Threads = Threads,
        PlannedSteps = plannedSteps,
        Directory = directory,
        Resume = resume,
    };

    /// <summary>
    /// Refuses what cannot be meant: the trainer's own fields first, then the shared ones. A refused value is a
    /// <see cref="SettingException"/> naming the field ("LearningRate must be positive, got 0.").
    /// </summary>
    public void Validate()
    {
        ValidateOwnFields();
        Require(LearningRate > 0 && float.IsFinite(LearningRate), nameof(LearningRate), $"LearningRate must be positive, got {LearningRate}.");
        Require(GradClip >= 0, nameof(GradClip), $"GradClip must be ≥ 0 (0 turns clipping off), got {GradClip}.");
        Require(BatchSize > 0, nameof(BatchSize), $"BatchSize must be positive, got {BatchSize}.");
        Require(Threads > 0, nameof(Threads), $"Threads must be positive, got {Threads}.");
        Require(OptimizerSettings.IsKnown(Optimizer), nameof(Optimizer), $"Unknown Optimizer '{Optimizer}': expected {OptimizerSettings.Names}.");
        ToOptimizerSettings().Validate(); // Momentum and WeightDecay
        ScheduleSettings.Validate();
    }

    /// <summary>The derived record's checks of its own fields (model sizes, data, length of training).</summary>
    protected abstract void ValidateOwnFields();

    /// <summary>Throws a <see cref="SettingException"/> about <paramref name="setting"/> (and <paramref name="alsoNamed"/>) unless <paramref name="ok"/>.</summary>
    protected static void Require(bool ok, string setting, string message, params string[] alsoNamed) => SettingException.Require(ok, setting, message, alsoNamed);

    /// <summary>The checks of a recurrent stack's sizes, the same wherever a trainer takes Hidden, Layers, Embedding and Dropout.</summary>
    /// <param name="hidden">Hidden: units per layer (and direction); must be positive.</param>
    /// <param name="layers">Layers: stacked recurrent layers; must be positive.</param>
    /// <param name="embedding">Embedding: length of each symbol's vector; must be positive (or 0, see below).</param>
    /// <param name="dropout">Dropout: the chance of zeroing an output between layers; must be in [0, 1).</param>
    /// <param name="zeroEmbeddingMeansHidden">The character model reads Embedding 0 as "the hidden size".</param>
    protected static void RequireStackSizes(int hidden, int layers, int embedding, float dropout, bool zeroEmbeddingMeansHidden = false)
    {
        Require(hidden > 0, "Hidden", $"Hidden must be positive, got {hidden}.");
        Require(layers > 0, "Layers", $"Layers must be positive, got {layers}.");
        if (zeroEmbeddingMeansHidden) Require(embedding >= 0, "Embedding", $"Embedding must be ≥ 0, got {embedding}.");
        else Require(embedding > 0, "Embedding", $"Embedding must be positive, got {embedding}.");
        Require(dropout >= 0 && dropout < 1, "Dropout", $"Dropout must be in [0, 1), got {dropout}.");
    }
}
