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
    // Truncated BPTT(h; h′) with h > h′: the characters before the coming chunk that the next window runs again
    // ([steps, B] time-major, at most h − h′ steps), and the state where they start (null: the stream's start).
    private int[] _context = [];
    private int _contextSteps;
    private RecurrentState? _contextStart;

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
        if (_options.TbpttWindow > 0) return TrainWindow(batch);
        var initial = _batches.Mode == BatchingMode.Stream && !batch.StartsNewStreams ? _carried : null;
        var (loss, final) = Language.Run(batch.Inputs, batch.Targets, batch.Steps, batch.BatchSize, initial, backward: true);
        _carried = final;
        return new BatchLoss(loss, (long)batch.Steps * batch.BatchSize);
    }

    /// <summary>Random windows only: streams carry each row's state from batch to batch, which a shard of rows would split.</summary>
    public override void RequireShards() =>
        SettingException.Require(_batches.Mode == BatchingMode.Random, "Batching",
            "Batching stream carries each stream's state from batch to batch, which data-parallel training would split across processes; use Batching random (the default) with Distributed.", "Distributed");

    /// <inheritdoc/>
    public override ShardLoss TrainShard(TextBatch batch, BatchShard shard)
    {
        var (start, end) = shard.Rows(batch.BatchSize);
        int B = batch.BatchSize, b = end - start, T = batch.Steps;
        if (b == 0) return ShardLoss.Empty;
        var inputs = new int[T * b];   // [T, b] this shard's columns of the time-major [T, B]
        var targets = new int[T * b];
        int scored = 0;
        for (int t = 0; t < T; t++)
        {
            batch.Inputs.AsSpan(t * B + start, b).CopyTo(inputs.AsSpan(t * b, b));
            batch.Targets.AsSpan(t * B + start, b).CopyTo(targets.AsSpan(t * b, b));
        }
        foreach (int target in targets) if (target != Losses.SoftmaxCrossEntropy.Ignore) scored++;
        var (loss, _) = Language.Run(inputs, targets, T, b, null, backward: true);
        return new ShardLoss(loss, scored, (long)T * b);
    }

    // BPTT(h; h′): the window is the context (up to h − h′ earlier characters per stream) and the chunk's h′ new ones, run
    // from the state at the context's start; only the new characters' losses count, the gradient flows back through all.
    private BatchLoss TrainWindow(TextBatch batch)
    {
        if (batch.StartsNewStreams) { _contextSteps = 0; _contextStart = null; }
        int B = batch.BatchSize, context = _contextSteps, steps = context + batch.Steps;
        var inputs = new int[steps * B];
        var targets = new int[steps * B];
        _context.AsSpan(0, context * B).CopyTo(inputs);
        targets.AsSpan(0, context * B).Fill(Losses.SoftmaxCrossEntropy.Ignore);
        batch.Inputs.CopyTo(inputs, context * B);
        batch.Targets.CopyTo(targets, context * B);
        var (loss, final) = Language.Run(inputs, targets, steps, B, _contextStart, backward: true);
        _carried = final;

        // The next window keeps the last min(h − h′, steps) characters; its start moves on by what is dropped.
        int kept = Math.Min(_options.EffectiveTbpttWindow - batch.Steps, steps), dropped = steps - kept;
        if (dropped > 0) _contextStart = Language.Rnn.StateAfter(dropped);
        _context = inputs.AsSpan(dropped * B).ToArray();
        _contextSteps = kept;
        return new BatchLoss(loss, (long)batch.Steps * B);
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
        if (_contextSteps == 0) yield break;
        // BPTT(h; h′): the context the next window runs again (ids, exact in float) and the state where it starts.
        var context = new Tensor(_contextSteps, _context.Length / _contextSteps);
        for (int i = 0; i < _context.Length; i++) context.Data[i] = _context[i];
        yield return ("context", context);
        if (_contextStart is null) yield break;
        yield return ("context_h", _contextStart.H);
        if (_contextStart.C is not null) yield return ("context_c", _contextStart.C);
    }

    /// <inheritdoc/>
    public override void RestoreCarriedState(IReadOnlyDictionary<string, Tensor> state)
    {
        _carried = state.TryGetValue("h", out var h) ? new RecurrentState(h, state.TryGetValue("c", out var c) ? c : null) : null;
        _contextSteps = 0; _context = []; _contextStart = null;
        if (!state.TryGetValue("context", out var context)) return;
        _contextSteps = context.Dim(0);
        _context = new int[context.Length];
        for (int i = 0; i < _context.Length; i++) _context[i] = (int)context.Data[i];
        if (state.TryGetValue("context_h", out var ch))
            _contextStart = new RecurrentState(ch, state.TryGetValue("context_c", out var cc) ? cc : null);
    }
}
