using System.Diagnostics;
using System.Text.Json;
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
/// evaluation to DIR/metrics.jsonl. Without dev examples the latest model is kept.
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
    private readonly Rng _batchRng;
    private readonly MetricsLog _metrics;

    public SequenceTagger Model { get; }
    public long TotalSteps { get; }
    public long StepsPerEpoch { get; }
    public long EvalEvery { get; }

    public TaggerTrainer(TaggingVocabulary vocabulary, IReadOnlyList<TaggedExample> train, IReadOnlyList<TaggedExample> dev,
        TaggerTrainingOptions options, TaggingTask task, string outDirectory)
    {
        options.Validate();
        if (train.Count == 0) throw new ArgumentException("There are no training examples.");
        _options = options; _task = task; _vocabulary = vocabulary; _outDirectory = outDirectory;
        _metrics = new MetricsLog(outDirectory);
        _train = new TaggedSequences(train, vocabulary, withLabels: true);
        _dev = dev.Count > 0 ? new TaggedSequences(dev, vocabulary, withLabels: true) : null; // unseen labels fail here
        var seedRng = new Rng(options.Seed);
        Model = TaggerCheckpoint.CreateModel(options, vocabulary, seedRng);
        _batchRng = seedRng.Fork();
        StepsPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        TotalSteps = options.Steps > 0 ? options.Steps : Math.Max(1, (long)Math.Ceiling(options.Epochs * StepsPerEpoch));
        EvalEvery = options.EvalEvery > 0 ? options.EvalEvery : StepsPerEpoch;
        _optimizer = options.ToOptimizerSettings().Create(Model.NamedParameters());
        _schedule = options.CreateSchedule(TotalSteps, StepsPerEpoch);
    }

    public TaggerTrainingSummary Run(Action<TaggerProgress>? progress = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(_outDirectory);
        var clock = Stopwatch.StartNew();
        var parameters = Model.NamedParameters().Select(p => p.Parameter).ToArray();
        int K = _vocabulary.Labels.Count;
        long step = 0, bestStep = 0, charactersSinceReport = 0;
        double bestScore = double.NegativeInfinity, lossSum = 0;
        int lossCount = 0;
        ClassificationMetrics? bestDev = null;
        var sinceReport = Stopwatch.StartNew();
        double charactersPerSecond = 0;
        float[] dLogits = [];

        while (step < TotalSteps)
        {
            foreach (var examples in LengthBuckets.Plan(_train.Lengths, _options.BatchSize, _batchRng))
            {
                if (step >= TotalSteps) break;
                if (cancel.IsCancellationRequested)
                {
                    if (bestStep == 0) Save(step, null); // keep the work done so far when nothing was saved yet
                    return new TaggerTrainingSummary(step, bestStep == 0 ? step : bestStep, bestDev, Interrupted: true, clock.Elapsed.TotalSeconds);
                }
                var (batch, targets) = _train.Batch(examples);
                Model.Training = true;
                _optimizer.ZeroGrad();
                var logits = Model.Forward(batch.Ids, batch.Steps, batch.BatchSize, batch.Lengths); // [T, B, K]
                if (dLogits.Length != logits.Length) dLogits = new float[logits.Length];
                var (loss, _) = SoftmaxCrossEntropy.Compute(logits.Data, targets!, K, dLogits);
                if (!double.IsFinite(loss)) throw new InvalidOperationException($"The training loss became {loss} at step {step + 1}; lower --lr or clip gradients.");
                Model.Backward(dLogits);
                if (_options.GradClip > 0) GradientClipping.ClipByGlobalNorm(parameters, _options.GradClip);
                step++;
                _optimizer.LearningRate = _schedule.At(step, _options.LearningRate);
                _optimizer.Step();

                lossSum += loss; lossCount++;
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
                        newBest = score > bestScore;
                        if (newBest) { bestScore = score; bestStep = step; bestDev = dev; }
                    }
                    else
                    {
                        newBest = true; bestStep = step;
                    }
                    if (newBest) Save(step, dev);
                    AppendMetrics(step, lossSum / lossCount, dev, newBest, clock.Elapsed.TotalSeconds, charactersPerSecond);
                    lossSum = 0; lossCount = 0;
                    sinceReport.Restart(); charactersSinceReport = 0;
                }
                progress?.Invoke(new TaggerProgress(step, TotalSteps, (double)step / StepsPerEpoch, lossCount > 0 ? lossSum / lossCount : loss,
                    dev, newBest, _optimizer.LearningRate, charactersPerSecond, clock.Elapsed.TotalSeconds));
            }
        }
        return new TaggerTrainingSummary(step, bestStep, bestDev, Interrupted: false, clock.Elapsed.TotalSeconds);
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
