using Carousel.Diagnostics;
using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training.EncoderDecoder;

/// <summary>
/// Everything a sequence-to-sequence training run is made of (saved as JSON in its checkpoint; the optimization:
/// <see cref="TrainingLoopSettings"/>).
/// </summary>
public sealed record Seq2SeqTrainingOptions : TrainingLoopSettings
{
    /// <summary>The defaults that differ from the other trainers'.</summary>
    public Seq2SeqTrainingOptions()
    {
        LearningRate = 1e-3f;
        DecayRate = 0.5f;
        BatchSize = 64;
    }

    public CellKind Cell { get; init; } = CellKind.Lstm;
    public int Embedding { get; init; } = 64;
    public int EncoderHidden { get; init; } = 256;
    public int EncoderLayers { get; init; } = 1;
    public bool Bidirectional { get; init; } = true;
    public int DecoderHidden { get; init; } = 512;
    public int DecoderLayers { get; init; } = 1;
    public bool Attention { get; init; } = true;
    public float Dropout { get; init; } = 0.2f;
    public SourceTokens SourceTokens { get; init; } = SourceTokens.Chars;
    public int Epochs { get; init; } = 10;
    /// <summary>Steps between dev evaluations besides the one after each epoch (0: after each epoch only).</summary>
    public int EvalEvery { get; init; }
    /// <summary>Beams for the dev evaluation during training (1: greedy).</summary>
    public int EvalBeam { get; init; } = 1;

    protected override void ValidateOwnFields()
    {
        Require(Epochs > 0, $"--epochs must be positive, got {Epochs}.");
        Require(EvalEvery >= 0, $"--eval-every must be ≥ 0, got {EvalEvery}.");
        Require(EvalBeam >= 1, $"--eval-beam must be at least 1, got {EvalBeam}.");
        ModelConfig(4, 4).Validate();
    }

    public Seq2SeqConfig ModelConfig(int sourceVocabulary, int targetVocabulary) => new()
    {
        Cell = Cell, SourceVocabulary = sourceVocabulary, TargetVocabulary = targetVocabulary, Embedding = Embedding,
        EncoderHidden = EncoderHidden, EncoderLayers = EncoderLayers, Bidirectional = Bidirectional,
        DecoderHidden = DecoderHidden, DecoderLayers = DecoderLayers, Attention = Attention, Dropout = Dropout,
    };
}
