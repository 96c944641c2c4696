using System.Text.Json.Serialization;
using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training.Generation;

/// <summary>Everything that defines a conditioned-generator training run (the optimization: <see cref="TrainingLoopSettings"/>).</summary>
public sealed record GeneratorTrainingOptions : TrainingLoopSettings
{
    [JsonConverter(typeof(JsonStringEnumConverter<CellKind>))]
    public CellKind Cell { get; init; } = CellKind.Lstm;
    public int Hidden { get; init; } = 128;
    public int Layers { get; init; } = 1;
    public int Embedding { get; init; } = 32;
    public float Dropout { get; init; }
    public int Epochs { get; init; } = 20;

    protected override void ValidateOwnFields()
    {
        RequireStackSizes(Hidden, Layers, Embedding, Dropout);
        Require(Epochs > 0, $"--epochs must be positive, got {Epochs}.");
    }

    public ConditionedGeneratorConfig ModelConfig(int vocabularySize, int conditionSize) =>
        new(vocabularySize, conditionSize, Cell, Hidden, Layers, Embedding, Dropout);
}
