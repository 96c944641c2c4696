using Carousel.Diagnostics;
using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using System.Text.Json.Serialization;
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

    /// <summary>The cell of encoder and decoder.</summary>
    public CellKind Cell { get; init; } = CellKind.Lstm;
    /// <summary>E: length of each symbol's vector, source and target alike.</summary>
    public int Embedding { get; init; } = 64;
    /// <summary>He: the encoder's units per layer and direction.</summary>
    public int EncoderHidden { get; init; } = 256;
    /// <summary>Le: the encoder's stacked layers.</summary>
    public int EncoderLayers { get; init; } = 1;
    /// <summary>Whether the encoder also reads the source backwards (its outputs are then 2·He wide).</summary>
    public bool Bidirectional { get; init; } = true;
    /// <summary>Hd: the decoder's units per layer.</summary>
    public int DecoderHidden { get; init; } = 512;
    /// <summary>Ld: the decoder's stacked layers.</summary>
    public int DecoderLayers { get; init; } = 1;
    /// <summary>Whether the decoder attends over the encoder's outputs (Luong attention).</summary>
    public bool Attention { get; init; } = true;
    /// <summary>The chance, in [0, 1), of zeroing an embedding value, an output between stacked layers or an input of the output layer while training.</summary>
    public float Dropout { get; init; } = 0.2f;
    /// <summary>Whether each source character or each space-separated source word is a symbol.</summary>
    public SourceTokens SourceTokens { get; init; } = SourceTokens.Chars;
    /// <summary>Passes over the training pairs: the run's length; the dev sources are decoded after each.</summary>
    public int Epochs { get; init; } = 10;
    /// <summary>Steps between dev evaluations besides the one after each epoch (0: after each epoch only).</summary>
    public int EvalEvery { get; init; }
    /// <summary>Beams for the dev evaluation during training (1: greedy).</summary>
    public int EvalBeam { get; init; } = 1;
    /// <summary>Input feeding (Luong et al. 2015): the attention's output h̃_t joins the decoder's input at step t + 1 (needs Attention).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] // runs saved before it existed compare equal on resume
    public bool InputFeeding { get; init; }
    /// <summary>Variational dropout on the decoder side: one mask per sequence for the target embeddings and before the output layer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool VariationalDropout { get; init; }
    /// <summary>Train a right-to-left model: on every target reversed (see <see cref="Seq2SeqConfig.RightToLeft"/>).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool RightToLeft { get; init; }
    /// <summary>ε in [0, 1): the training loss is the cross-entropy against (1 − ε)·onehot + ε/V, as PyTorch's label_smoothing.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public float LabelSmoothing { get; init; }
    /// <summary>
    /// When positive, this fraction of the training words (by source: all pairs of a source together, drawn by <see cref="TrainingLoopSettings.Seed"/>)
    /// was held out as the inner dev set that chose the model (see <see cref="Carousel.Data.WordSplit"/>); 0: the dev set chose it.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public double InnerDevFraction { get; init; }
    /// <summary>
    /// The seed of the inner dev split (null: <see cref="TrainingLoopSettings.Seed"/>): runs with different seeds for their weights
    /// but one split seed hold out the same words, so that an ensemble of them is still chosen on words none of its models saw.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public ulong? InnerDevSeed { get; init; }
    /// <summary>Keep the weights of the last this many epochs in DIR/epochs for checkpoint averaging (0: none).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int KeepEpochs { get; init; }

    /// <inheritdoc/>
    protected override void ValidateOwnFields()
    {
        Require(Epochs > 0, "Epochs", $"Epochs must be positive, got {Epochs}.");
        Require(EvalEvery >= 0, "EvalEvery", $"EvalEvery must be ≥ 0, got {EvalEvery}.");
        Require(EvalBeam >= 1, "EvalBeam", $"EvalBeam must be at least 1, got {EvalBeam}.");
        Require(LabelSmoothing >= 0 && LabelSmoothing < 1, "LabelSmoothing", $"LabelSmoothing must be in [0, 1), got {LabelSmoothing}.");
        Require(InnerDevFraction >= 0 && InnerDevFraction < 1, "InnerDevFraction", $"InnerDevFraction must be in [0, 1), got {InnerDevFraction}.");
        Require(KeepEpochs >= 0, "KeepEpochs", $"KeepEpochs must be ≥ 0, got {KeepEpochs}.");
        ModelConfig(4, 4).Validate();
    }

    /// <summary>The model's sizes and choices for these options, <paramref name="sourceVocabulary"/> source and <paramref name="targetVocabulary"/> target symbols (reserved ones included).</summary>
    public Seq2SeqConfig ModelConfig(int sourceVocabulary, int targetVocabulary) => new()
    {
        Cell = Cell, SourceVocabulary = sourceVocabulary, TargetVocabulary = targetVocabulary, Embedding = Embedding,
        EncoderHidden = EncoderHidden, EncoderLayers = EncoderLayers, Bidirectional = Bidirectional,
        DecoderHidden = DecoderHidden, DecoderLayers = DecoderLayers, Attention = Attention, Dropout = Dropout,
        LearnedInitialState = LearnedInitialState, InputFeeding = InputFeeding, VariationalDropout = VariationalDropout,
        RightToLeft = RightToLeft,
    };
}
