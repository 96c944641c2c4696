using Carousel.Layers.Recurrent;

namespace Carousel.Training.Tagging;

/// <summary>
/// Everything that defines a sequence-tagger training run: the model's sizes and the length of training (the
/// optimization: <see cref="TrainingLoopSettings"/>).
/// </summary>
public sealed record TaggerTrainingOptions : TrainingLoopSettings
{
    /// <summary>Both cores by default (the other task trainers default to one).</summary>
    public TaggerTrainingOptions() => Threads = Math.Min(2, Environment.ProcessorCount);

    public CellKind Cell { get; init; } = CellKind.Lstm;
    public int Hidden { get; init; } = 128;
    public int Layers { get; init; } = 2;
    public bool Bidirectional { get; init; }
    /// <summary>Size of the character embedding (the recurrent stack's input).</summary>
    public int Embedding { get; init; } = 32;
    /// <summary>Dropout between recurrent layers while training.</summary>
    public float Dropout { get; init; }
    /// <summary>Passes over the training examples; ignored when <see cref="Steps"/> is positive.</summary>
    public double Epochs { get; init; } = 5;
    /// <summary>Optimizer steps (0: from <see cref="Epochs"/>).</summary>
    public long Steps { get; init; }
    /// <summary>Steps between dev evaluations (0: once per epoch).</summary>
    public long EvalEvery { get; init; }

    protected override void ValidateOwnFields()
    {
        RequireStackSizes(Hidden, Layers, Embedding, Dropout);
        Require(Steps >= 0, "Steps", $"Steps must be ≥ 0, got {Steps}.");
        Require(Steps > 0 || (Epochs > 0 && double.IsFinite(Epochs)), "Epochs", $"Epochs must be positive, got {Epochs}.");
        Require(double.IsFinite(Epochs), "Epochs", $"Epochs must be a number, got {Epochs}.");
        Require(EvalEvery >= 0, "EvalEvery", $"EvalEvery must be ≥ 0, got {EvalEvery}.");
    }

    public RecurrentOptions RecurrentOptions() => new(Cell, Embedding, Hidden, Layers, Bidirectional, Dropout);
}
