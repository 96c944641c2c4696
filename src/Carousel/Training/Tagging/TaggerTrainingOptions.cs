using Carousel.Layers.Recurrent;
using Carousel.Models;

namespace Carousel.Training.Tagging;

/// <summary>
/// Everything that defines a sequence-tagger training run: the model's sizes and the length of training (the
/// optimization: <see cref="TrainingLoopSettings"/>).
/// </summary>
public sealed record TaggerTrainingOptions : RecurrentModelSettings
{
    /// <summary>Both cores by default (the other task trainers default to one).</summary>
    public TaggerTrainingOptions() => Threads = Math.Min(2, Environment.ProcessorCount);

    /// <summary>The recurrent cell of every layer and direction.</summary>
    public CellKind Cell { get; init; } = CellKind.Lstm;
    /// <summary>H: units of each recurrent layer and direction.</summary>
    public int Hidden { get; init; } = 128;
    /// <summary>L: stacked recurrent layers.</summary>
    public int Layers { get; init; } = 2;
    /// <summary>Whether each layer also reads the text backwards, so each character's label sees what follows it.</summary>
    public bool Bidirectional { get; init; }
    /// <summary>Size of the character embedding (the recurrent stack's input).</summary>
    public int Embedding { get; init; } = 32;
    /// <summary>The chance, in [0, 1), that each output of a recurrent layer below the last is zeroed while training.</summary>
    public float Dropout { get; init; }
    /// <summary>Passes over the training examples; ignored when <see cref="Steps"/> is positive.</summary>
    public double Epochs { get; init; } = 5;
    /// <summary>Optimizer steps (0: from <see cref="Epochs"/>).</summary>
    public long Steps { get; init; }
    /// <summary>Steps between dev evaluations (0: once per epoch).</summary>
    public long EvalEvery { get; init; }

    /// <inheritdoc/>
    protected override void ValidateOwnFields()
    {
        RequireStackSizes(Hidden, Layers, Embedding, Dropout);
        Require(Steps >= 0, "Steps", $"Steps must be ≥ 0, got {Steps}.");
        Require(Steps > 0 || (Epochs > 0 && double.IsFinite(Epochs)), "Epochs", $"Epochs must be positive, got {Epochs}.");
        Require(double.IsFinite(Epochs), "Epochs", $"Epochs must be a number, got {Epochs}.");
        Require(EvalEvery >= 0, "EvalEvery", $"EvalEvery must be ≥ 0, got {EvalEvery}.");
        ValidateModelInput();
        ValidateStructure(Cell, Hidden, Layers, Bidirectional);
    }

    /// <summary>
    /// The recurrent stack these options describe, reading the <see cref="Embedding"/>-long character vectors, or with
    /// one-hot input the <paramref name="inputCount"/> symbols themselves.
    /// </summary>
    public RecurrentOptions RecurrentOptions(int inputCount) =>
        new(Cell, Input == InputEncoding.OneHot ? inputCount : Embedding, Hidden, Layers, Bidirectional, Dropout, InitialStateMode, Init, ClockPeriods, TimeDelay);
}
