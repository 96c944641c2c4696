using System.Text.Json.Serialization;
using Carousel.Layers;
using Carousel.Layers.Recurrent;

namespace Carousel.Training.Ctc;

/// <summary>
/// Everything that defines a CTC recogniser's training run: the recurrent stack over the frames, the length of training
/// and the decoding used to score the dev set (the optimization: <see cref="TrainingLoopSettings"/>).
/// </summary>
public sealed record CtcTrainingOptions : TrainingLoopSettings
{
    /// <summary>The recurrent cell of every layer and direction.</summary>
    public CellKind Cell { get; init; } = CellKind.Lstm;
    /// <summary>H: units of each recurrent layer and direction.</summary>
    public int Hidden { get; init; } = 128;
    /// <summary>L: stacked recurrent layers.</summary>
    public int Layers { get; init; } = 2;
    /// <summary>Whether each layer also reads the frames backwards (each step's output then sees the whole utterance).</summary>
    public bool Bidirectional { get; init; }
    /// <summary>The chance, in [0, 1), that each output of a recurrent layer below the last is zeroed while training.</summary>
    public float Dropout { get; init; }
    /// <summary>Passes over the training sequences.</summary>
    public double Epochs { get; init; } = 10;
    /// <summary>Steps between dev evaluations (0: once per epoch).</summary>
    public long EvalEvery { get; init; }
    /// <summary>Frames stacked into one step (k consecutive frames side by side: T/k steps of k·F features, the last
    /// group padded with zeros, the mean after normalisation); a lower frame rate makes training k times cheaper.</summary>
    public int Stack { get; init; } = 1;
    /// <summary>The beam width of the prefix beam search that scores the dev set (1: greedy, best path).</summary>
    public int Beam { get; init; } = 1;

    /// <summary>Clockwork and timescales cells: the period of each module, ascending (null: 1, 2, 4, 8).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<int>? ClockPeriods { get; init; }
    /// <summary>Time-delay layers (cell tdnn): the window of frames each output sees (null: the defaults of <see cref="TimeDelayWindow"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TimeDelayWindow? TimeDelay { get; init; }

    /// <summary>With the CTC trainer's own defaults: Adam 1e-3, clipping at 5, batches of 16.</summary>
    public CtcTrainingOptions()
    {
        LearningRate = 1e-3f;
        BatchSize = 16;
    }

    /// <inheritdoc/>
    protected override void ValidateOwnFields()
    {
        RequireStackSizes(Hidden, Layers, 1, Dropout);
        Require(Epochs > 0 && double.IsFinite(Epochs), "Epochs", $"Epochs must be positive, got {Epochs}.");
        Require(EvalEvery >= 0, "EvalEvery", $"EvalEvery must be ≥ 0, got {EvalEvery}.");
        Require(Stack >= 1 && Stack <= 64, "Stack", $"Stack must be in 1..64, got {Stack}.");
        Require(Beam >= 1 && Beam <= 1000, "Beam", $"Beam must be in 1..1000, got {Beam}.");
        RecurrentOptions(1).Validate();
    }

    /// <summary>The recurrent stack these options describe, reading frames of <paramref name="width"/> features (before stacking).</summary>
    public RecurrentOptions RecurrentOptions(int width) => new(Cell, width * Stack, Hidden, Layers, Bidirectional, Dropout,
        ClockPeriods: ClockPeriods, TimeDelay: TimeDelay);
}
