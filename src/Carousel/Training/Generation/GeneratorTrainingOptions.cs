using System.Text.Json.Serialization;
using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training.Generation;

/// <summary>Everything that defines a conditioned-generator training run (the optimization: <see cref="TrainingLoopSettings"/>).</summary>
public sealed record GeneratorTrainingOptions : RecurrentModelSettings
{
    /// <summary>The recurrent cell of every layer (saved in the JSON by name).</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<CellKind>))]
    public CellKind Cell { get; init; } = CellKind.Lstm;
    /// <summary>H: units of each recurrent layer.</summary>
    public int Hidden { get; init; } = 128;
    /// <summary>L: stacked recurrent layers.</summary>
    public int Layers { get; init; } = 1;
    /// <summary>E: length of each symbol's vector.</summary>
    public int Embedding { get; init; } = 32;
    /// <summary>The chance, in [0, 1), that each output of a recurrent layer below the last is zeroed while training.</summary>
    public float Dropout { get; init; }
    /// <summary>Passes over the training examples: the run's length; the dev loss is measured after each.</summary>
    public int Epochs { get; init; } = 20;

    /// <inheritdoc/>
    protected override void ValidateOwnFields()
    {
        RequireStackSizes(Hidden, Layers, Embedding, Dropout);
        Require(Epochs > 0, "Epochs", $"Epochs must be positive, got {Epochs}.");
        Require(!LearnedInitialState, nameof(LearnedInitialState), "LearnedInitialState does not apply to the generator: its initial state is computed from the condition.");
        ValidateModelInput();
        RequireSteppableCell(Cell);
    }

    /// <summary>The generator's sizes for these options, <paramref name="vocabularySize"/> symbols (start and end included) and condition vectors of <paramref name="conditionSize"/> values.</summary>
    public ConditionedGeneratorConfig ModelConfig(int vocabularySize, int conditionSize) =>
        new(vocabularySize, conditionSize, Cell, Hidden, Layers, Embedding, Dropout, Input, OutputDropout, Init);
}
