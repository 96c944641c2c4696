using System.Globalization;
using System.Text.Json.Nodes;
using Carousel.Data.Tagging;
using Carousel.Diagnostics;
using Carousel.Layers;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Training.Tagging;

/// <summary>
/// A <see cref="SequenceTagger"/> with an embedding input in the one training loop: epochs of length-bucketed, padded
/// batches, mean cross-entropy over the real characters (padding ignored); evaluated on the dev examples every
/// <see cref="TaggerTrainingOptions.EvalEvery"/> steps (else once per epoch), where the better model has the higher F1 of
/// the task's key label, else the higher character accuracy. Without dev examples the latest model is kept.
/// </summary>
public sealed class TaggerTraining : Trainable<int[]>
{
    private readonly TaggerTrainingOptions _options;
    private readonly TaggingTask _task;
    private readonly TaggingVocabulary _vocabulary;
    private readonly TaggedSequences _train;
    private readonly TaggedSequences? _dev;
    private readonly LengthBucketBatches _batches;
    private readonly RunIdentity _identity;
    private float[] _dLogits = [];

    /// <summary>The options a resumed run may change.</summary>
    public static readonly string[] ResumableChanges =
        [nameof(TaggerTrainingOptions.Epochs), nameof(TaggerTrainingOptions.Steps), nameof(TaggerTrainingOptions.Threads)];

    /// <summary>The tagger being trained.</summary>
    public SequenceTagger Tagger { get; }
    /// <summary>Optimizer steps of the run: <see cref="TaggerTrainingOptions.Steps"/>, else the (possibly fractional) epochs rounded up.</summary>
    public long PlannedSteps { get; }
    /// <summary>Batches in one pass over the training examples.</summary>
    public long StepsPerEpoch => _batches.BatchesPerEpoch;

    /// <summary>Encodes the data (a dev label the training data lacks fails here) and builds the model from <see cref="TrainingLoopSettings.Seed"/>.</summary>
    public TaggerTraining(TaggingVocabulary vocabulary, IReadOnlyList<TaggedExample> train, IReadOnlyList<TaggedExample> dev,
        TaggerTrainingOptions options, TaggingTask task)
    {
        options.Validate();
        if (train.Count == 0) throw new InvalidDataException("There are no training examples.");
        _options = options; _task = task; _vocabulary = vocabulary;
        _train = new TaggedSequences(train, vocabulary, withLabels: true);
        _dev = dev.Count > 0 ? new TaggedSequences(dev, vocabulary, withLabels: true) : null;
        MemoryNeeded(options, vocabulary, Math.Max(_train.Lengths.Max(), _dev?.Lengths.DefaultIfEmpty().Max() ?? 0)).Check();
        var seedRng = new Rng(options.Seed);
        Tagger = TaggerCheckpoint.CreateModel(options, vocabulary, seedRng);
        _batches = new LengthBucketBatches(_train.Lengths, options.BatchSize, seedRng.Fork());
        PlannedSteps = PlannedStepsFor(options);
        using var fingerprint = new DataFingerprint().Add(_train.Inputs).Add(_train.Labels!);
        if (_dev is not null) fingerprint.Add(_dev.Inputs).Add(_dev.Labels!);
        _identity = new RunIdentity("options", ResumableChanges, ["characters", "labels", "task"], fingerprint.ToString(),
            options.Steps > 0 ? nameof(TaggerTrainingOptions.Steps) : nameof(TaggerTrainingOptions.Epochs));
    }

    /// <summary>What a run with <paramref name="options"/> allocates (see <see cref="MemoryEstimate"/>) for sequences of up to <paramref name="longest"/> characters.</summary>
    public static MemoryEstimate MemoryNeeded(TaggerTrainingOptions options, TaggingVocabulary vocabulary, int longest) => new MemoryEstimate().SequenceModel(
        options.RecurrentOptions(vocabulary.InputCount), options.ToOptimizerSettings(), longest, TaggerInference.DevBatch(options.BatchSize),
        vocabulary.InputCount, vocabulary.Labels.Count, outputPerStep: true,
        $"the weights of Hidden {options.Hidden} × Layers {options.Layers}", [nameof(options.Hidden), nameof(options.Layers), nameof(options.Embedding)],
        $"the activations of BatchSize {options.BatchSize} × {longest} steps (the longest sequence)", [nameof(options.BatchSize), nameof(options.Hidden)]);

    private long PlannedStepsFor(TaggerTrainingOptions options) =>
        options.Steps > 0 ? options.Steps : Math.Max(1, (long)Math.Ceiling(options.Epochs * _batches.BatchesPerEpoch));

    /// <summary>The loop's settings: <see cref="PlannedSteps"/> steps, evaluated every <see cref="TaggerTrainingOptions.EvalEvery"/> steps (0: every epoch's worth); <paramref name="directory"/> null writes nothing.</summary>
    public TrainingRun Run(string? directory, LastCheckpoint? resume = null) =>
        _options.ToRun(PlannedSteps, _batches.BatchesPerEpoch, directory, resume) with
        {
            EvaluateEvery = _options.EvalEvery > 0 ? _options.EvalEvery : _batches.BatchesPerEpoch,
            EvaluateAtEpochEnd = false,
        };

    /// <inheritdoc/>
    public override IModule Model => Tagger;
    /// <inheritdoc/>
    public override IBatchSource<int[]> Batches => _batches;
    /// <inheritdoc/>
    public override string CheckpointKind => TaggerCheckpoint.Kind;
    /// <inheritdoc/>
    public override RunIdentity Identity => _identity;

    /// <inheritdoc/>
    public override BatchLoss TrainBatch(int[] examples)
    {
        var (batch, targets) = _train.Batch(examples);
        var logits = Tagger.Forward(batch.Ids, batch.Steps, batch.BatchSize, batch.Lengths); // [T, B, K]
        if (_dLogits.Length != logits.Length) _dLogits = new float[logits.Length];
        var (loss, _) = SoftmaxCrossEntropy.Compute(logits.Data, targets!, _vocabulary.Labels.Count, _dLogits);
        if (double.IsFinite(loss)) Tagger.Backward(_dLogits);
        long characters = 0;
        foreach (int length in batch.Lengths) characters += length;
        return new BatchLoss(loss, characters);
    }

    /// <inheritdoc/>
    public override void RequireShards()
    {
    }

    /// <summary>This process's sequences of the batch; the loss is a mean over their characters (each scored once).</summary>
    public override ShardLoss TrainShard(int[] examples, BatchShard shard)
    {
        var mine = shard.Of(examples);
        if (mine.Length == 0) return ShardLoss.Empty;
        var result = TrainBatch(mine);
        return new ShardLoss(result.Loss, result.Tokens, result.Tokens);
    }

    /// <inheritdoc/>
    public override Evaluation? Evaluate()
    {
        if (_dev is null) return null;
        var dev = new ClassificationMetrics(_vocabulary.Labels);
        TaggerInference.Predict(Tagger, _dev, TaggerInference.DevBatch(_options.BatchSize), dev);
        return Describe(dev);
    }

    /// <summary>What "best" means: F1 of the task's key label, else character accuracy (ties: the earlier model).</summary>
    public double Score(ClassificationMetrics metrics) =>
        _task.KeyLabel is { } key && _vocabulary.HasLabel(key) ? metrics.Scores(key).F1 : metrics.Accuracy;

    private Evaluation Describe(ClassificationMetrics dev)
    {
        string summary = string.Create(CultureInfo.InvariantCulture, $"dev accuracy {dev.Accuracy:P2}");
        if (_task.KeyLabel is { } key && _vocabulary.HasLabel(key)) summary += string.Create(CultureInfo.InvariantCulture, $"  F1({key}) {dev.Scores(key).F1:F4}");
        return new Evaluation
        {
            Metrics = new JsonObject { ["dev"] = MetricsRecord(dev) },
            Score = [Score(dev)],
            Summary = summary,
        };
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> CheckpointMetadata(TrainingCursor at) =>
        new TaggerCheckpoint { Model = Tagger, Vocabulary = _vocabulary, Options = _options, Task = _task, Step = at.Step }.Metadata();

    /// <inheritdoc/>
    public override long PlannedStepsOf(ModelCheckpoint saved) => PlannedStepsFor(saved.GetJson<TaggerTrainingOptions>("options"));

    /// <inheritdoc/>
    public override Evaluation? ReadEarlierBest(string json, ModelCheckpoint file)
    {
        var best = EarlierBest.Read<EarlierRecord>(json, file);
        if (best.Confusion is not { } confusion || _dev is null)
            return new Evaluation { Score = [best.Score], Step = best.Step, Summary = "the latest model" };
        var metrics = new ClassificationMetrics(_vocabulary.Labels);
        int labels = metrics.Confusion.Length;
        if (confusion.Length != labels || confusion.Any(row => row is null || row.Length != labels || row.Any(count => count < 0)))
            throw new InvalidDataException($"{file.Path}: the best record's confusion matrix is not {labels}×{labels} counts.");
        for (int k = 0; k < labels; k++) confusion[k].CopyTo(metrics.Confusion[k], 0);
        return Describe(metrics) with { Score = [best.Score], Step = best.Step };
    }

    // The best record as the tagger's own trainer wrote it before the one training loop.
    private sealed record EarlierRecord(double Score, long Step, long[][]? Confusion);

    /// <summary>Accuracy, loss and per-label precision/recall/F1, as written to metrics.jsonl and by `tag eval --json`.</summary>
    public static JsonObject MetricsRecord(ClassificationMetrics m)
    {
        var labels = new JsonObject();
        foreach (var s in m.PerClass())
            labels[s.Label] = new JsonObject
            {
                ["precision"] = Math.Round(s.Precision, 6), ["recall"] = Math.Round(s.Recall, 6), ["f1"] = Math.Round(s.F1, 6),
                ["support"] = s.Support, ["predicted"] = s.Predicted,
            };
        return new JsonObject
        {
            ["characters"] = m.Total,
            ["accuracy"] = Evaluation.Number(m.Accuracy, 6),
            ["loss"] = Evaluation.Number(m.MeanLoss, 6),
            ["labels"] = labels,
        };
    }
}
