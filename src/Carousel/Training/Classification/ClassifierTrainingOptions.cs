using System.Text.Json.Serialization;
using Carousel.Diagnostics;
using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training.Classification;

/// <summary>Everything that defines a sequence-classifier training run (the optimization: <see cref="TrainingLoopSettings"/>).</summary>
public sealed record ClassifierTrainingOptions : TrainingLoopSettings
{
    [JsonConverter(typeof(JsonStringEnumConverter<CellKind>))]
    public CellKind Cell { get; init; } = CellKind.Lstm;
    public int Hidden { get; init; } = 64;
    public int Layers { get; init; } = 1;
    public bool Bidirectional { get; init; }
    public int Embedding { get; init; } = 32;
    public float Dropout { get; init; }
    [JsonConverter(typeof(JsonStringEnumConverter<SequencePooling>))]
    public SequencePooling Pooling { get; init; } = SequencePooling.Last;
    [JsonConverter(typeof(JsonStringEnumConverter<SymbolLevel>))]
    public SymbolLevel Level { get; init; } = SymbolLevel.Chars;
    /// <summary>Read at most the first this many characters (or bytes) of each text.</summary>
    public int MaxLength { get; init; } = 1000;
    /// <summary>Characters seen fewer times in training read as the unknown symbol.</summary>
    public int MinCount { get; init; } = 1;
    public int Epochs { get; init; } = 10;

    protected override void ValidateOwnFields()
    {
        RequireStackSizes(Hidden, Layers, Embedding, Dropout);
        Require(MaxLength > 0, $"--max-length must be positive, got {MaxLength}.");
        Require(MinCount > 0, $"--min-count must be positive, got {MinCount}.");
        Require(Epochs > 0, $"--epochs must be positive, got {Epochs}.");
    }

    public SequenceClassifierConfig ModelConfig(int vocabularySize, int classes) =>
        new(vocabularySize, classes, Cell, Hidden, Layers, Bidirectional, Embedding, Dropout, Pooling);
}
