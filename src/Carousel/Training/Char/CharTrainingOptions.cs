using System.Text.Json.Serialization;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;

namespace Carousel.Training.Char;

/// <summary>How a character model's training text is cut into batches (the CLI's --batching).</summary>
public enum BatchingMode
{
    /// <summary>Independent windows at random offsets; no state carried between batches.</summary>
    Random,
    /// <summary>char-rnn's contiguous streams with the state carried between chunks (truncated BPTT).</summary>
    Stream,
}

/// <summary>Everything that defines a character language-model training run (char-rnn's knobs; the optimization: <see cref="TrainingLoopSettings"/>).</summary>
public sealed record CharTrainingOptions : RecurrentModelSettings
{
    /// <summary>Both cores by default for the kernels and the batch-split time loops (measured faster).</summary>
    public CharTrainingOptions() => Threads = Math.Min(2, Environment.ProcessorCount);

    /// <summary>The recurrent cell of every layer.</summary>
    public CellKind Cell { get; init; } = CellKind.Lstm;
    /// <summary>H: units of each recurrent layer.</summary>
    public int Hidden { get; init; } = 256;
    /// <summary>L: stacked recurrent layers.</summary>
    public int Layers { get; init; } = 2;
    /// <summary>E: length of each character's vector (0: the hidden size).</summary>
    public int Embedding { get; init; }
    /// <summary>The chance, in [0, 1), that each output of a recurrent layer below the last is zeroed while training.</summary>
    public float Dropout { get; init; }
    /// <summary>Characters per training window, the length backpropagation goes through time; also validation's chunk length.</summary>
    public int SeqLength { get; init; } = 100;
    /// <summary>Steps between decays of the step schedule (0: one epoch).</summary>
    public long DecayEvery { get; init; }
    /// <summary>Steps before the step schedule starts to decay (0: from <see cref="TrainingLoopSettings.DecayFrom"/>, else ten epochs, as char-rnn).</summary>
    public long DecayAfter { get; init; }
    /// <summary>Optimizer steps to train for: the run's length.</summary>
    public long Steps { get; init; } = 3000;
    /// <summary>The share, in [0, 1), at the end of the text held out for validation (0: none, the latest model is kept).</summary>
    public double ValFraction { get; init; } = 0.1;
    /// <summary>Optimizer steps between validation evaluations; the last step is always evaluated.</summary>
    public int EvalEvery { get; init; } = 500;
    /// <summary>Random windows (the default) or char-rnn's contiguous streams with the state carried between batches.</summary>
    public BatchingMode Batching { get; init; } = BatchingMode.Random;
    /// <summary>Clip each gradient element to ±GradClip instead of the global norm (always in this model's JSON, as it always was).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public override bool ClipByValue { get; init; }

    // Left out of the options' JSON at its default, so runs saved before it existed read and resume as they were.

    /// <summary>
    /// Truncated BPTT(h; h′) of Williams and Peng with h = TbpttWindow and h′ = <see cref="SeqLength"/>: with stream
    /// batching, each update reads SeqLength new characters per stream and backpropagates through the last TbpttWindow
    /// (the new ones and the TbpttWindow − SeqLength before them, which are run again from the state carried at the
    /// window's start with the current weights; only the new characters' losses count). 0, or SeqLength: each chunk alone
    /// (BPTT(h; h)), as before.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int TbpttWindow { get; init; }

    /// <summary>h of BPTT(h; h′): <see cref="TbpttWindow"/>, or <see cref="SeqLength"/> when that is 0.</summary>
    [JsonIgnore]
    public int EffectiveTbpttWindow => TbpttWindow > 0 ? TbpttWindow : SeqLength;

    /// <inheritdoc/>
    protected override void ValidateOwnFields()
    {
        RequireStackSizes(Hidden, Layers, Embedding, Dropout, zeroEmbeddingMeansHidden: true);
        Require(SeqLength > 0, "SeqLength", $"SeqLength must be positive, got {SeqLength}.");
        Require((long)SeqLength * BatchSize <= Array.MaxLength, "BatchSize", $"BatchSize × SeqLength ({BatchSize} × {SeqLength}) is more characters per batch than an array can hold.", "SeqLength");
        Require(Steps > 0, "Steps", $"Steps must be positive, got {Steps}.");
        Require(ValFraction >= 0 && ValFraction < 1, "ValFraction", $"ValFraction must be in [0, 1), got {ValFraction}.");
        Require(EvalEvery > 0, "EvalEvery", $"EvalEvery must be positive, got {EvalEvery}.");
        Require(DecayEvery >= 0, "DecayEvery", $"DecayEvery must be ≥ 0, got {DecayEvery}.");
        Require(DecayAfter >= 0, "DecayAfter", $"DecayAfter must be ≥ 0, got {DecayAfter}.");
        Require(DecayAfter == 0 || DecayFrom == 0, "DecayAfter", "Give DecayAfter (steps) or DecayFrom (epoch), not both.", "DecayFrom");
        ValidateModelInput();
        RequireSteppableCell(Cell);
        Require(TbpttWindow >= 0, "TbpttWindow", $"TbpttWindow must be ≥ 0, got {TbpttWindow}.");
        Require(TbpttWindow == 0 || TbpttWindow >= SeqLength, "TbpttWindow",
            $"TbpttWindow (h) must be at least SeqLength (h′, the characters each update reads), got {TbpttWindow} < {SeqLength}.", "SeqLength");
        Require(TbpttWindow == 0 || Batching == BatchingMode.Stream, "TbpttWindow",
            "TbpttWindow needs Batching stream: only contiguous streams have characters before a chunk to backpropagate through.", "Batching");
        Require((long)EffectiveTbpttWindow * BatchSize <= Array.MaxLength, "TbpttWindow", $"BatchSize × TbpttWindow ({BatchSize} × {TbpttWindow}) is more characters per batch than an array can hold.", "BatchSize");
    }

    /// <inheritdoc/>
    public override LearningRateSchedule CreateSchedule(long plannedSteps, long stepsPerEpoch) =>
        ScheduleSettings.Create(plannedSteps, stepsPerEpoch, DecayEvery, DecayAfter);
}
