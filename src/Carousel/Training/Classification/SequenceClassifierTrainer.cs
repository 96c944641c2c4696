using System.Diagnostics;
using System.Text.Json;
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
        Require(MaxLength > 0, "MaxLength", $"MaxLength must be positive, got {MaxLength}.");
        Require(MinCount > 0, "MinCount", $"MinCount must be positive, got {MinCount}.");
        Require(Epochs > 0, "Epochs", $"Epochs must be positive, got {Epochs}.");
    }

    public SequenceClassifierConfig ModelConfig(int vocabularySize, int classes) =>
        new(vocabularySize, classes, Cell, Hidden, Layers, Bidirectional, Embedding, Dropout, Pooling);
}

/// <summary>A report during training; <see cref="Dev"/> is set once per epoch, after the dev evaluation.</summary>
public sealed record ClassifierProgress(int Epoch, int Batch, int Batches, double TrainLoss, double SymbolsPerSecond,
    ClassifierEpochResult? Dev);

/// <summary>The dev evaluation after an epoch; <see cref="Best"/> when it became the kept model.</summary>
public sealed record ClassifierEpochResult(int Epoch, double TrainLoss, double DevLoss, double DevAccuracy, double DevMacroF1,
    bool Best, double ElapsedSeconds);

public sealed record ClassifierTrainingSummary(ClassifierEpochResult? Best, int Epochs, bool Interrupted, double ElapsedSeconds);

/// <summary>
/// Trains a <see cref="SequenceClassifier"/>: batches bucketed by length (<see cref="LengthBuckets"/>), padded
/// (<see cref="PaddedBatch"/>), mean cross-entropy, clipping, an optimizer; after every epoch it evaluates on the
/// dev set and, when the dev accuracy is the best so far (ties: lower dev loss), writes DIR/checkpoint.safetensors
/// and DIR/model.safetensors atomically, so the directory always holds the best model. One line per epoch goes
/// to DIR/metrics.jsonl. After every epoch and when interrupted it writes DIR/last.safetensors, from which a run
/// continues exactly (<see cref="LastCheckpoint"/>).
/// </summary>
public sealed class SequenceClassifierTrainer
{
    private readonly ClassifierTrainingOptions _options;
    private readonly string _outDirectory;
    private readonly int[][] _train, _dev;
    private readonly int[] _trainLabels, _devLabels;
    private readonly Optimizer _optimizer;
    private readonly LearningRateSchedule _schedule;
    private readonly TrainingCursor _cursor;
    private readonly string _dataFingerprint;
    private readonly MetricsLog _metrics;
    private ClassifierEpochResult? _best;

    /// <summary>The options a resumed run may change.</summary>
    public static readonly string[] ResumableChanges = [nameof(ClassifierTrainingOptions.Epochs), nameof(ClassifierTrainingOptions.Threads)];

    public SequenceClassifier Model { get; }
    public TextSymbols Symbols { get; }
    public string[] Labels { get; }

    /// <param name="resume">DIR/last.safetensors of an earlier run on the same data and options, to continue it.</param>
    public SequenceClassifierTrainer(ClassifierTrainingOptions options, IReadOnlyList<LabelledText> train,
        IReadOnlyList<LabelledText> dev, string outDirectory, LastCheckpoint? resume = null)
    {
        options.Validate();
        if (train.Count == 0) throw new InvalidDataException("No training examples.");
        if (dev.Count == 0) throw new InvalidDataException("No dev examples.");
        _options = options;
        _outDirectory = outDirectory;
        _metrics = new MetricsLog(outDirectory);
        Labels = LabelledTexts.Labels(train);
        if (Labels.Length < 2) throw new InvalidDataException($"The training data has a single label '{Labels[0]}'; a classifier needs at least two.");
        Symbols = TextSymbols.Build(options.Level, options.MaxLength, train.Select(e => e.Text), options.MinCount);
        (_train, _trainLabels) = Encode(train, Symbols, Labels, "training");
        (_dev, _devLabels) = Encode(dev, Symbols, Labels, "dev");

        var seedRng = new Rng(options.Seed);
        Model = new SequenceClassifier(options.ModelConfig(Symbols.Count, Labels.Length), seedRng);
        _cursor = new TrainingCursor(seedRng.Fork());
        _optimizer = options.ToOptimizerSettings().Create(Model.NamedParameters());
        _schedule = options.ScheduleSettings.Create(StepsPerEpoch * options.Epochs, StepsPerEpoch);
        using (var fingerprint = new DataFingerprint().Add(_train).Add(_trainLabels).Add(_dev).Add(_devLabels))
            _dataFingerprint = fingerprint.ToString();
        var length = new RunLength(StepsPerEpoch * options.Epochs, StepsPerEpoch, "Epochs",
            options.ScheduleSettings.ShapedByLength ? saved => StepsPerEpoch * saved.GetJson<ClassifierTrainingOptions>("options").Epochs : null,
            "train a new run of the length wanted");
        _best = resume?.Continue<ClassifierEpochResult>(CheckpointMetadata(), "options", ResumableChanges, ["labels", "symbols"], _dataFingerprint,
            Model.NamedParameters(), _optimizer, Model, _cursor, length, _metrics, metricsKey: "epoch");
    }

    /// <summary>Batches per epoch: the length buckets' pools are whole batches but the last.</summary>
    public long StepsPerEpoch => (_train.Length + _options.BatchSize - 1) / _options.BatchSize;

    /// <summary>Epochs already trained (more than 0 when resumed).</summary>
    public int EpochsCompleted => _cursor.EpochsCompleted;

    public int TrainCount => _train.Length;
    public int DevCount => _dev.Length;

    /// <summary>Encodes texts and maps labels to classes; a label the training data lacks is an error that names it.</summary>
    public static (int[][] Sequences, int[] Classes) Encode(IReadOnlyList<LabelledText> examples, TextSymbols symbols,
        IReadOnlyList<string> labels, string what)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < labels.Count; k++) index[labels[k]] = k;
        var sequences = new int[examples.Count][];
        var classes = new int[examples.Count];
        for (int n = 0; n < examples.Count; n++)
        {
            if (!index.TryGetValue(examples[n].Label, out classes[n]))
                throw new InvalidDataException($"The {what} data has label '{examples[n].Label}', which the model was not trained on (known: {string.Join(", ", labels)}).");
            sequences[n] = symbols.Encode(examples[n].Text);
            if (sequences[n].Length == 0) throw new InvalidDataException($"The {what} data has an empty text (example {n + 1}).");
        }
        return (sequences, classes);
    }

    public ClassifierTrainingSummary Run(Action<ClassifierProgress>? progress = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(_outDirectory);
        var clock = Stopwatch.StartNew();
        var parameters = Model.NamedParameters().Select(p => p.Parameter).ToArray();
        var lengths = _train.Select(s => s.Length).ToArray();
        while (_cursor.EpochsCompleted < _options.Epochs) // not a for over epoch numbers: EpochsCompleted + 1 may overflow
        {
            int epoch = _cursor.EpochsCompleted + 1;
            var plan = _cursor.PlanEpoch(lengths, _options.BatchSize);
            if (_cursor.BatchesIntoEpoch == 0) _cursor.LossSum = 0;
            long symbols = 0;
            var epochClock = Stopwatch.StartNew();
            Model.Training = true;
            for (int i = _cursor.BatchesIntoEpoch; i < plan.Count; i++)
            {
                if (cancel.IsCancellationRequested)
                {
                    SaveLast();
                    return new ClassifierTrainingSummary(_best, epoch - 1, Interrupted: true, clock.Elapsed.TotalSeconds);
                }
                var batch = PaddedBatch.From(_train, plan[i], TextSymbols.UnknownId);
                var labels = new int[batch.BatchSize];
                for (int b = 0; b < labels.Length; b++) labels[b] = _trainLabels[batch.Examples[b]];
                _optimizer.ZeroGrad();
                var (loss, _) = Model.Run(batch, labels, backward: true);
                if (!double.IsFinite(loss)) throw new TrainingDivergedException($"The training loss became {loss} in epoch {epoch}; lower LearningRate or clip gradients (GradClip).", "LearningRate", "GradClip");
                _cursor.StepOptimizer(parameters, _optimizer, _schedule, _options);
                _cursor.LossSum += loss; symbols += batch.Ids.Length;
                progress?.Invoke(new ClassifierProgress(epoch, i + 1, plan.Count, _cursor.LossSum / (i + 1),
                    symbols / Math.Max(1e-9, epochClock.Elapsed.TotalSeconds), null));
            }
            var (devLoss, metrics) = Evaluate(Model, _dev, _devLabels, Labels, _options.BatchSize);
            bool isBest = _best is null || metrics.Accuracy > _best.DevAccuracy || (metrics.Accuracy == _best.DevAccuracy && devLoss < _best.DevLoss);
            var result = new ClassifierEpochResult(epoch, _cursor.LossSum / plan.Count, devLoss, metrics.Accuracy, metrics.MacroF1, isBest, clock.Elapsed.TotalSeconds);
            if (isBest)
            {
                _best = result;
                SaveCheckpoint(epoch);
            }
            AppendMetrics(result);
            _cursor.EpochDone();
            SaveLast();
            progress?.Invoke(new ClassifierProgress(epoch, plan.Count, plan.Count, result.TrainLoss,
                symbols / Math.Max(1e-9, epochClock.Elapsed.TotalSeconds), result));
        }
        return new ClassifierTrainingSummary(_best, _options.Epochs, Interrupted: false, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Mean cross-entropy and the confusion-matrix metrics of a model on encoded examples.</summary>
    public static (double Loss, ClassificationMetrics Metrics) Evaluate(SequenceClassifier model, int[][] sequences, int[] classes,
        IReadOnlyList<string> labels, int batchSize)
    {
        var probabilities = SequenceClassifierPredictor.Probabilities(model, sequences, batchSize);
        int K = labels.Count;
        var metrics = new ClassificationMetrics(labels);
        for (int n = 0; n < sequences.Length; n++)
        {
            var p = probabilities.AsSpan(n * K, K);
            metrics.Add(classes[n], System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p));
            metrics.AddLoss(-Math.Log(Math.Max(p[classes[n]], 1e-30f)), 1);
        }
        return (metrics.MeanLoss, metrics);
    }

    private void SaveCheckpoint(int epoch)
    {
        var checkpoint = new ClassifierCheckpoint(Model, Symbols, Labels, _options, epoch);
        checkpoint.Save(_outDirectory, _optimizer);
    }

    private IReadOnlyDictionary<string, string> CheckpointMetadata() =>
        new ClassifierCheckpoint(Model, Symbols, Labels, _options, _cursor.EpochsCompleted).Metadata();

    /// <summary>DIR/last.safetensors: where the run stands now, to continue it with --resume.</summary>
    private void SaveLast() => LastCheckpoint.Save(_outDirectory, ClassifierCheckpoint.Kind, Model.NamedParameters(), _optimizer,
        CheckpointMetadata(), _cursor.Position(Model, _best is null ? null : LastCheckpoint.SerializeBest(_best), _dataFingerprint));

    private void AppendMetrics(ClassifierEpochResult r) => _metrics.Append(new Dictionary<string, object>
    {
        ["epoch"] = r.Epoch,
        ["train_loss"] = Math.Round(r.TrainLoss, 5),
        ["dev_loss"] = Math.Round(r.DevLoss, 5),
        ["dev_accuracy"] = Math.Round(r.DevAccuracy, 5),
        ["dev_macro_f1"] = Math.Round(r.DevMacroF1, 5),
        ["best"] = r.Best,
        ["elapsed_s"] = Math.Round(r.ElapsedSeconds, 1),
    });
}

/// <summary>Class probabilities for whole texts, in batches bucketed by length, in the order given.</summary>
public static class SequenceClassifierPredictor
{
    /// <summary>Encoded texts [N][T_n] → probabilities [N, K].</summary>
    public static float[] Probabilities(SequenceClassifier model, int[][] sequences, int batchSize = 64)
    {
        int K = model.Classes;
        var result = new float[sequences.Length * K];
        bool wasTraining = model.Training;
        model.Training = false;
        try
        {
            var lengths = sequences.Select(s => s.Length).ToArray();
            foreach (var examples in LengthBuckets.Plan(lengths, batchSize, rng: null))
            {
                var batch = PaddedBatch.From(sequences, examples, TextSymbols.UnknownId);
                var logits = model.Forward(batch);
                for (int b = 0; b < examples.Length; b++)
                    System.Numerics.Tensors.TensorPrimitives.SoftMax(logits.AsSpan(b * K, K), result.AsSpan(examples[b] * K, K));
            }
        }
        finally
        {
            model.Training = wasTraining;
        }
        return result;
    }
}
