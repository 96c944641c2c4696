using System.Text.Json.Serialization;
using Carousel.Diagnostics;
using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training.Classification;

/// <summary>Everything that defines a sequence-classifier training run (the optimization: <see cref="TrainingLoopSettings"/>).</summary>
public sealed record ClassifierTrainingOptions : RecurrentModelSettings
{
    /// <summary>The recurrent cell of every layer and direction (saved in the JSON by name).</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<CellKind>))]
    public CellKind Cell { get; init; } = CellKind.Lstm;
    /// <summary>H: units of each recurrent layer and direction.</summary>
    public int Hidden { get; init; } = 64;
    /// <summary>L: stacked recurrent layers.</summary>
    public int Layers { get; init; } = 1;
    /// <summary>Whether each layer also reads the text backwards (its outputs are then 2·H wide).</summary>
    public bool Bidirectional { get; init; }
    /// <summary>E: length of each symbol's vector.</summary>
    public int Embedding { get; init; } = 32;
    /// <summary>The chance, in [0, 1), that each output of a recurrent layer below the last is zeroed while training.</summary>
    public float Dropout { get; init; }
    /// <summary>How a text's outputs become the one vector the class layer reads: last step, mean or maximum.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<SequencePooling>))]
    public SequencePooling Pooling { get; init; } = SequencePooling.Last;
    /// <summary>Whether texts are read as Unicode characters or as the bytes of their UTF-8 encoding.</summary>
    [JsonConverter(typeof(JsonStringEnumConverter<SymbolLevel>))]
    public SymbolLevel Level { get; init; } = SymbolLevel.Chars;
    /// <summary>Read at most the first this many characters (or bytes) of each text.</summary>
    public int MaxLength { get; init; } = 1000;
    /// <summary>Characters seen fewer times in training read as the unknown symbol.</summary>
    public int MinCount { get; init; } = 1;
    /// <summary>Passes over the training texts: the run's length; the dev texts are scored after each.</summary>
    public int Epochs { get; init; } = 10;

    /// <inheritdoc/>
    protected override void ValidateOwnFields()
    {
        RequireStackSizes(Hidden, Layers, Embedding, Dropout);
        Require(MaxLength > 0, "MaxLength", $"MaxLength must be positive, got {MaxLength}.");
        Require(MinCount > 0, "MinCount", $"MinCount must be positive, got {MinCount}.");
        Require(Epochs > 0, "Epochs", $"Epochs must be positive, got {Epochs}.");
        ValidateModelInput();
        ValidateStructure(Cell, Hidden, Layers, Bidirectional);
    }

    /// <summary>The classifier's sizes for these options, <paramref name="vocabularySize"/> input symbols and <paramref name="classes"/> classes.</summary>
    public SequenceClassifierConfig ModelConfig(int vocabularySize, int classes) =>
        new(vocabularySize, classes, Cell, Hidden, Layers, Bidirectional, Embedding, Dropout, Pooling, Input, OutputDropout, Init, InitialStateMode, ClockPeriods, TimeDelay);
}
