using System.Globalization;
using System.Text.Json.Nodes;
using Carousel.Data;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Training.Char;

/// <summary>
/// A character language model in the one training loop, as char-rnn trains it: batches of windows (random, or contiguous
/// streams with the state carried between chunks: truncated BPTT), mean cross-entropy over every position; evaluated on
/// the validation text every <see cref="CharTrainingOptions.EvalEvery"/> steps, where the better model has the lower
/// validation loss in nats per character. Without validation text the latest model is kept.
/// </summary>
public sealed class CharTraining : Trainable<TextBatch>
{
    private readonly TextCorpus _corpus;
    private readonly CharTrainingOptions _options;
    private readonly TextBatchSource _batches;
    private readonly RunIdentity _identity;
    private RecurrentState? _carried;

    /// <summary>The options a resumed run may change.</summary>
    public static readonly string[] ResumableChanges = [nameof(CharTrainingOptions.Steps), nameof(CharTrainingOptions.Threads)];

    /// <summary>The model being trained.</summary>
    public CharLanguageModel Language { get; }

    /// <summary>Builds the model from <see cref="TrainingLoopSettings.Seed"/>; nothing is written.</summary>
    public CharTraining(TextCorpus corpus, CharTrainingOptions options)
    {
        options.Validate();
        _corpus = corpus;
        _options = options;
        MemoryNeeded(options, corpus.Vocabulary.Count).Check();
        var seedRng = new Rng(options.Seed);
        Language = new CharLanguageModel(CharCheckpoint.ModelConfig(options, corpus.Vocabulary.Count), seedRng);
        _batches = new TextBatchSource(corpus.Train, options.SeqLength, options.BatchSize, options.Batching, seedRng.Fork());
        using var fingerprint = new DataFingerprint().Add(corpus.Train).Add(corpus.Validation);
        _identity = new RunIdentity("options", ResumableChanges, ["vocabulary"], fingerprint.ToString(), nameof(CharTrainingOptions.Steps));
    }

    /// <summary>What a run with <paramref name="options"/> over <paramref name="vocabulary"/> characters allocates: see <see cref="MemoryEstimate"/>.</summary>
    public static MemoryEstimate MemoryNeeded(CharTrainingOptions options, int vocabulary) => new MemoryEstimate().SequenceModel(
        new RecurrentOptions(options.Cell, options.Embedding > 0 ? options.Embedding : options.Hidden, options.Hidden, options.Layers, Dropout: options.Dropout),
        options.ToOptimizerSettings(), options.SeqLength, options.BatchSize, vocabulary, vocabulary, outputPerStep: true,
        $"the weights of Hidden {options.Hidden} × Layers {options.Layers}", [nameof(options.Hidden), nameof(options.Layers), nameof(options.Embedding)],
        $"the activations of BatchSize {options.BatchSize} × SeqLength {options.SeqLength} steps", [nameof(options.BatchSize), nameof(options.SeqLength), nameof(options.Hidden)]);

    /// <summary>Batches in one pass over the training text (the step schedule's epoch).</summary>
    public long StepsPerEpoch => _batches.BatchesPerEpoch;

    /// <summary>The loop's settings: <see cref="CharTrainingOptions.Steps"/> steps, evaluated every <see cref="CharTrainingOptions.EvalEvery"/>.</summary>
    public TrainingRun Run(string? directory, LastCheckpoint? resume = null) =>
        _options.ToRun(_options.Steps, _batches.BatchesPerEpoch, directory, resume) with { EvaluateEvery = _options.EvalEvery, EvaluateAtEpochEnd = false };

    /// <inheritdoc/>
    public override IModule Model => Language;
    /// <inheritdoc/>
    public override IBatchSource<TextBatch> Batches => _batches;
    /// <inheritdoc/>
    public override string CheckpointKind => CharCheckpoint.Kind;
    /// <inheritdoc/>
    public override RunIdentity Identity => _identity;

    /// <inheritdoc/>
    public override BatchLoss TrainBatch(TextBatch batch)
    {
        var initial = _batches.Mode == BatchingMode.Stream && !batch.StartsNewStreams ? _carried : null;
        var (loss, final) = Language.Run(batch.Inputs, batch.Targets, batch.Steps, batch.BatchSize, initial, backward: true);
        _carried = final;
        return new BatchLoss(loss, (long)batch.Steps * batch.BatchSize);
    }

    /// <inheritdoc/>
    public override Evaluation? Evaluate()
    {
        if (_corpus.Validation.Length <= 1) return null;
        return Describe(CharLanguageModelEvaluator.Evaluate(Language, _corpus.Validation, _options.SeqLength).NatsPerChar);
    }

    private static Evaluation Describe(double validation) => new()
    {
        Metrics = new JsonObject { ["val_loss"] = Evaluation.Number(validation) },
        Score = [-validation],
        Summary = string.Create(CultureInfo.InvariantCulture, $"val {validation:F4}"),
    };

    /// <summary>The validation loss (nats per character) of an evaluation of this model, or null.</summary>
    public static double? ValidationLoss(Evaluation? evaluation) => evaluation?.Score is [var negative] ? -negative : null;

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> CheckpointMetadata(TrainingCursor at) => CharCheckpoint.Metadata(_options, _corpus.Vocabulary);

    /// <inheritdoc/>
    public override long PlannedStepsOf(ModelCheckpoint saved) => saved.GetJson<CharTrainingOptions>("options").Steps;

    /// <inheritdoc/>
    public override IEnumerable<(string Name, Tensor Value)> CarriedState()
    {
        if (_batches.Mode != BatchingMode.Stream || _carried is null) yield break;
        yield return ("h", _carried.H);
        if (_carried.C is not null) yield return ("c", _carried.C);
    }

    /// <inheritdoc/>
    public override void RestoreCarriedState(IReadOnlyDictionary<string, Tensor> state) =>
        _carried = state.TryGetValue("h", out var h) ? new RecurrentState(h, state.TryGetValue("c", out var c) ? c : null) : null;
}
