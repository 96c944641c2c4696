using System.Diagnostics;
using System.Text.Json;
using Carousel.Diagnostics;
using Carousel.Data;
using Carousel.Data.Tagging;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training.Tagging;

/// <summary>A report after a training step; evaluations carry the dev metrics.</summary>
public sealed record TaggerProgress(long Step, long TotalSteps, double Epoch, double TrainLoss, ClassificationMetrics? Dev,
    bool NewBest, float LearningRate, double CharactersPerSecond, double ElapsedSeconds);

public sealed record TaggerTrainingSummary(long Step, long BestStep, ClassificationMetrics? BestDev, bool Interrupted, double ElapsedSeconds);

/// <summary>
/// Trains a <see cref="SequenceTagger"/> with an embedding input: epochs of length-bucketed, padded batches,
/// mean cross-entropy over the real characters (padding ignored), gradient clipping, an optimizer and schedule.
/// Evaluates on the dev examples every so often and keeps the best model (highest F1 of the task's key label,
/// else character accuracy) in DIR/checkpoint.safetensors and DIR/model.safetensors; appends one line per
/// evaluation to DIR/metrics.jsonl. Without dev examples the latest model is kept. After every epoch, at the end and
/// when interrupted it writes DIR/last.safetensors, from which a run continues exactly (<see cref="LastCheckpoint"/>).
/// </summary>
public sealed class TaggerTrainer
{
    private readonly TaggerTrainingOptions _options;
    private readonly TaggingTask _task;
    private readonly TaggingVocabulary _vocabulary;
    private readonly TaggedSequences _train;
    private readonly TaggedSequences? _dev;
    private readonly string _outDirectory;
    private readonly Optimizer _optimizer;
    private readonly LearningRateSchedule _schedule;
    private readonly TrainingCursor _cursor;
    private readonly string _dataFingerprint;
    private readonly MetricsLog _metrics;
    private double _bestScore = double.NegativeInfinity;
    private long _bestStep;
    private ClassificationMetrics? _bestDev;

    /// <summary>The best dev evaluation so far, as <see cref="TrainingPosition.Best"/> keeps it.</summary>
    private sealed record BestRecord(double Score, long Step, long[][]? Confusion);

    /// <summary>The options a resumed run may change.</summary>
    public static readonly string[] ResumableChanges =
        [nameof(TaggerTrainingOptions.Epochs), nameof(TaggerTrainingOptions.Steps), nameof(TaggerTrainingOptions.Threads)];

    public SequenceTagger Model { get; }
    public long TotalSteps { get; }
    public long StepsPerEpoch { get; }
    public long EvalEvery { get; }

    public TaggerTrainer(TaggingVocabulary vocabulary, IReadOnlyList<TaggedExample> train, IReadOnlyList<TaggedExample> dev,
        TaggerTrainingOptions options, TaggingTask task, string outDirectory, LastCheckpoint? resume = null)
    {
        options.Validate();
        if (train.Count == 0) throw new InvalidDataException("There are no training examples.");
        _options = options; _task = task; _vocabulary = vocabulary; _outDirectory = outDirectory;
        _metrics = new MetricsLog(outDirectory);
        _train = new TaggedSequences(train, vocabulary, withLabels: true);
        _dev = dev.Count > 0 ? new TaggedSequences(dev, vocabulary, withLabels: true) : null; // unseen labels fail here
        var seedRng = new Rng(options.Seed);
        Model = TaggerCheckpoint.CreateModel(options, vocabulary, seedRng);
        _cursor = new TrainingCursor(seedRng.Fork());
        StepsPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        TotalSteps = PlannedSteps(options, StepsPerEpoch);
        EvalEvery = options.EvalEvery > 0 ? options.EvalEvery : StepsPerEpoch;
        _optimizer = options.ToOptimizerSettings().Create(Model.NamedParameters());
        _schedule = options.ScheduleSettings.Create(TotalSteps, StepsPerEpoch);
        using (var fingerprint = new DataFingerprint().Add(_train.Inputs).Add(_train.Labels!))
        {
            if (_dev is not null) fingerprint.Add(_dev.Inputs).Add(_dev.Labels!);
            _dataFingerprint = fingerprint.ToString();
        }
        var length = new RunLength(TotalSteps, StepsPerEpoch, options.Steps > 0 ? "Steps" : "Epochs",
            options.ScheduleSettings.ShapedByLength ? saved => PlannedSteps(saved.GetJson<TaggerTrainingOptions>("options"), StepsPerEpoch) : null,
            "train a new run of the length wanted");
        if (resume?.Continue<BestRecord>(CheckpointMetadata(0), "options", ResumableChanges, ["characters", "labels", "task"], _dataFingerprint,
                Model.NamedParameters(), _optimizer, Model, _cursor, length, _metrics) is { } best)
        {
            (_bestScore, _bestStep) = (best.Score, best.Step);
            if (best.Confusion is { } confusion && _dev is not null) _bestDev = RestoreConfusion(confusion, resume.File.Path);
        }
    }

    /// <summary>Optimizer steps of a run: <see cref="TaggerTrainingOptions.Steps"/>, else the (possibly fractional) epochs rounded up.</summary>
    private static long PlannedSteps(TaggerTrainingOptions options, long stepsPerEpoch) =>
        options.Steps > 0 ? options.Steps : Math.Max(1, (long)Math.Ceiling(options.Epochs * stepsPerEpoch));

    /// <summary>The best evaluation's confusion matrix as saved: K×K counts for this run's K labels, or the file is damaged.</summary>
    private ClassificationMetrics RestoreConfusion(long[][] confusion, string path)
    {
        var metrics = new ClassificationMetrics(_vocabulary.Labels);
        int labels = metrics.Confusion.Length;
        if (confusion.Length != labels || confusion.Any(row => row is null || row.Length != labels || row.Any(count => count < 0)))
            throw new InvalidDataException($"{path}: the best record's confusion matrix is not {labels}×{labels} counts.");
        for (int k = 0; k < labels; k++) confusion[k].CopyTo(metrics.Confusion[k], 0);
        return metrics;
    }

    /// <summary>Optimizer steps already taken (more than 0 when resumed).</summary>
    public long StepsDone => _cursor.Step;

    public TaggerTrainingSummary Run(Action<TaggerProgress>? progress = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(_outDirectory);
        var clock = Stopwatch.StartNew();
        var parameters = Model.NamedParameters().Select(p => p.Parameter).ToArray();
        int K = _vocabulary.Labels.Count;
        long charactersSinceReport = 0;
        var sinceReport = Stopwatch.StartNew();
        double charactersPerSecond = 0;
        float[] dLogits = [];

        while (_cursor.Step < TotalSteps)
        {
            var plan = _cursor.PlanEpoch(_train.Lengths, _options.BatchSize);
            for (int i = _cursor.BatchesIntoEpoch; i < plan.Count && _cursor.Step < TotalSteps; i++)
            {
                if (cancel.IsCancellationRequested)
                {
                    if (_bestStep == 0) Save(_cursor.Step, null); // keep the work done so far when nothing was saved yet
                    SaveLast();
                    return new TaggerTrainingSummary(_cursor.Step, _bestStep == 0 ? _cursor.Step : _bestStep, _bestDev, Interrupted: true, clock.Elapsed.TotalSeconds);
                }
                long step = _cursor.Step;
                var (batch, targets) = _train.Batch(plan[i]);
                Model.Training = true;
                _optimizer.ZeroGrad();
                var logits = Model.Forward(batch.Ids, batch.Steps, batch.BatchSize, batch.Lengths); // [T, B, K]
                if (dLogits.Length != logits.Length) dLogits = new float[logits.Length];
                var (loss, _) = SoftmaxCrossEntropy.Compute(logits.Data, targets!, K, dLogits);
                if (!double.IsFinite(loss)) throw new TrainingDivergedException($"The training loss became {loss} at step {step + 1}; lower LearningRate or clip gradients (GradClip).", "LearningRate", "GradClip");
                Model.Backward(dLogits);
                step = _cursor.StepOptimizer(parameters, _optimizer, _schedule, _options);

                _cursor.LossSum += loss; _cursor.LossCount++;
                foreach (int length in batch.Lengths) charactersSinceReport += length;
                if (sinceReport.Elapsed.TotalSeconds >= 1 || charactersPerSecond == 0)
                {
                    charactersPerSecond = charactersSinceReport / Math.Max(1e-9, sinceReport.Elapsed.TotalSeconds);
                    charactersSinceReport = 0;
                    sinceReport.Restart();
                }

                bool evaluate = step % EvalEvery == 0 || step == TotalSteps;
                ClassificationMetrics? dev = null;
                bool newBest = false;
                if (evaluate)
                {
                    if (_dev is not null)
                    {
                        dev = new ClassificationMetrics(_vocabulary.Labels);
                        TaggerInference.Predict(Model, _dev, Math.Max(_options.BatchSize, 64), dev);
                        double score = Score(dev);
                        newBest = score > _bestScore;
                        if (newBest) { _bestScore = score; _bestStep = step; _bestDev = dev; }
                    }
                    else
                    {
                        newBest = true; _bestStep = step;
                    }
                    if (newBest) Save(step, dev);
                    AppendMetrics(step, _cursor.LossSum / _cursor.LossCount, dev, newBest, clock.Elapsed.TotalSeconds, charactersPerSecond);
                    _cursor.LossSum = 0; _cursor.LossCount = 0;
                    sinceReport.Restart(); charactersSinceReport = 0;
                }
                progress?.Invoke(new TaggerProgress(step, TotalSteps, (double)step / StepsPerEpoch, _cursor.LossCount > 0 ? _cursor.LossSum / _cursor.LossCount : loss,
                    dev, newBest, _optimizer.LearningRate, charactersPerSecond, clock.Elapsed.TotalSeconds));
            }
            if (_cursor.BatchesIntoEpoch == plan.Count) _cursor.EpochDone();
            SaveLast(); // after every epoch, and where the run ends (possibly inside an epoch)
        }
        return new TaggerTrainingSummary(_cursor.Step, _bestStep, _bestDev, Interrupted: false, clock.Elapsed.TotalSeconds);
    }

    /// <summary>What "best" means: F1 of the task's key label, else character accuracy (ties: the earlier model).</summary>
    public double Score(ClassificationMetrics metrics) =>
        _task.KeyLabel is { } key && _vocabulary.HasLabel(key) ? metrics.Scores(key).F1 : metrics.Accuracy;

    private void Save(long step, ClassificationMetrics? dev)
    {
        var checkpoint = new TaggerCheckpoint { Model = Model, Vocabulary = _vocabulary, Options = _options, Task = _task, Step = step };
        var extra = new Dictionary<string, string>();
        if (dev is not null) extra["dev"] = JsonSerializer.Serialize(MetricsRecord(dev));
        checkpoint.Save(_outDirectory, _optimizer, extra);
    }

    private Dictionary<string, string> CheckpointMetadata(long step) =>
        new TaggerCheckpoint { Model = Model, Vocabulary = _vocabulary, Options = _options, Task = _task, Step = step }.Metadata();

    /// <summary>DIR/last.safetensors: where the run stands now, to continue it with --resume.</summary>
    private void SaveLast()
    {
        string? best = _bestStep == 0 ? null : LastCheckpoint.SerializeBest(new BestRecord(_bestScore, _bestStep, _bestDev?.Confusion));
        LastCheckpoint.Save(_outDirectory, TaggerCheckpoint.Kind, Model.NamedParameters(), _optimizer, CheckpointMetadata(_cursor.Step),
            _cursor.Position(Model, best, _dataFingerprint));
    }

    /// <summary>Accuracy, loss and per-label precision/recall/F1, as written to metrics.jsonl and by `tag eval --json`.</summary>
    public static Dictionary<string, object?> MetricsRecord(ClassificationMetrics m) => new()
    {
        ["characters"] = m.Total,
        ["accuracy"] = Math.Round(m.Accuracy, 6),
        ["loss"] = double.IsNaN(m.MeanLoss) ? null : Math.Round(m.MeanLoss, 6),
        ["labels"] = m.PerClass().ToDictionary(s => s.Label, s => (object)new Dictionary<string, object>
        {
            ["precision"] = Math.Round(s.Precision, 6), ["recall"] = Math.Round(s.Recall, 6), ["f1"] = Math.Round(s.F1, 6),
            ["support"] = s.Support, ["predicted"] = s.Predicted,
        }),
    };

    private void AppendMetrics(long step, double trainLoss, ClassificationMetrics? dev, bool best, double elapsed, double charactersPerSecond)
    {
        var line = new Dictionary<string, object?>
        {
            ["step"] = step,
            ["epoch"] = Math.Round((double)step / StepsPerEpoch, 3),
            ["train_loss"] = Math.Round(trainLoss, 5),
            ["dev"] = dev is null ? null : MetricsRecord(dev),
            ["best"] = best,
            ["lr"] = _optimizer.LearningRate,
            ["chars_per_s"] = Math.Round(charactersPerSecond),
            ["elapsed_s"] = Math.Round(elapsed, 2),
        };
        _metrics.Append(line);
    }
}
