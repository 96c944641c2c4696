using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carousel.Data;
using Carousel.Diagnostics;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Training.Classification;

/// <summary>
/// A <see cref="SequenceClassifier"/> in the one training loop: the texts encoded by symbols learned from the training
/// data, epochs of batches bucketed by length (<see cref="LengthBucketBatches"/>) and padded (<see cref="PaddedBatch"/>),
/// mean cross-entropy; evaluated on the dev texts after every epoch, where the better model has the higher accuracy
/// (ties: the lower dev loss).
/// </summary>
public sealed class ClassifierTraining : Trainable<int[]>
{
    private readonly ClassifierTrainingOptions _options;
    private readonly int[][] _train, _dev;
    private readonly int[] _trainLabels, _devLabels;
    private readonly LengthBucketBatches _batches;
    private readonly RunIdentity _identity;

    /// <summary>The options a resumed run may change.</summary>
    public static readonly string[] ResumableChanges = [nameof(ClassifierTrainingOptions.Epochs), nameof(ClassifierTrainingOptions.Threads)];

    /// <summary>The classifier being trained.</summary>
    public SequenceClassifier Classifier { get; }
    /// <summary>How texts are read: level, maximum length and the alphabet learned from the training texts.</summary>
    public TextSymbols Symbols { get; }
    /// <summary>The class names, in class order.</summary>
    public string[] Labels { get; }

    /// <summary>Encodes the data and builds the model from <see cref="TrainingLoopSettings.Seed"/>; nothing is written.</summary>
    public ClassifierTraining(ClassifierTrainingOptions options, IReadOnlyList<LabelledText> train, IReadOnlyList<LabelledText> dev)
    {
        options.Validate();
        if (train.Count == 0) throw new InvalidDataException("No training examples.");
        if (dev.Count == 0) throw new InvalidDataException("No dev examples.");
        _options = options;
        Labels = LabelledTexts.Labels(train);
        if (Labels.Length < 2) throw new InvalidDataException($"The training data has a single label '{Labels[0]}'; a classifier needs at least two.");
        Symbols = TextSymbols.Build(options.Level, options.MaxLength, train.Select(e => e.Text), options.MinCount);
        (_train, _trainLabels) = Encode(train, Symbols, Labels, "training");
        (_dev, _devLabels) = Encode(dev, Symbols, Labels, "dev");

        MemoryNeeded(options, Symbols.Count, Labels.Length, _train.Max(s => s.Length)).Check();
        var seedRng = new Rng(options.Seed);
        Classifier = new SequenceClassifier(options.ModelConfig(Symbols.Count, Labels.Length), seedRng);
        _batches = new LengthBucketBatches([.. _train.Select(s => s.Length)], options.BatchSize, seedRng.Fork());
        using var fingerprint = new DataFingerprint().Add(_train).Add(_trainLabels).Add(_dev).Add(_devLabels);
        _identity = new RunIdentity("options", ResumableChanges, ["labels", "symbols"], fingerprint.ToString(), nameof(ClassifierTrainingOptions.Epochs));
    }

    /// <summary>What a run with <paramref name="options"/> allocates (see <see cref="MemoryEstimate"/>): <paramref name="symbols"/> input symbols, <paramref name="labels"/> classes, texts of up to <paramref name="longest"/> symbols.</summary>
    public static MemoryEstimate MemoryNeeded(ClassifierTrainingOptions options, int symbols, int labels, int longest) => new MemoryEstimate().SequenceModel(
        new RecurrentOptions(options.Cell, options.Embedding, options.Hidden, options.Layers, options.Bidirectional, options.Dropout,
            ClockPeriods: options.ClockPeriods, TimeDelay: options.TimeDelay),
        options.ToOptimizerSettings(), longest, options.BatchSize, symbols, labels, outputPerStep: false,
        $"the weights of Hidden {options.Hidden} × Layers {options.Layers}", [nameof(options.Hidden), nameof(options.Layers), nameof(options.Embedding)],
        $"the activations of BatchSize {options.BatchSize} × {longest} steps (the longest text, at most MaxLength {options.MaxLength})",
        [nameof(options.BatchSize), nameof(options.MaxLength), nameof(options.Hidden)]);

    /// <summary>Training texts.</summary>
    public int TrainCount => _train.Length;
    /// <summary>Dev texts.</summary>
    public int DevCount => _dev.Length;

    /// <summary>The loop's settings: <see cref="ClassifierTrainingOptions.Epochs"/> epochs, evaluated after each; <paramref name="directory"/> null writes nothing.</summary>
    public TrainingRun Run(string? directory, LastCheckpoint? resume = null) =>
        _options.ToRun(_batches.BatchesPerEpoch * _options.Epochs, _batches.BatchesPerEpoch, directory, resume);

    /// <inheritdoc/>
    public override IModule Model => Classifier;
    /// <inheritdoc/>
    public override IBatchSource<int[]> Batches => _batches;
    /// <inheritdoc/>
    public override string CheckpointKind => ClassifierCheckpoint.Kind;
    /// <inheritdoc/>
    public override RunIdentity Identity => _identity;

    /// <inheritdoc/>
    public override BatchLoss TrainBatch(int[] examples)
    {
        var batch = PaddedBatch.From(_train, examples, TextSymbols.UnknownId);
        var labels = new int[batch.BatchSize];
        for (int b = 0; b < labels.Length; b++) labels[b] = _trainLabels[batch.Examples[b]];
        var (loss, _) = Classifier.Run(batch, labels, backward: true);
        return new BatchLoss(loss, batch.Ids.Length);
    }

    /// <inheritdoc/>
    public override void RequireShards()
    {
    }

    /// <summary>This process's texts of the batch; the loss is a mean over texts.</summary>
    public override ShardLoss TrainShard(int[] examples, BatchShard shard)
    {
        var mine = shard.Of(examples);
        if (mine.Length == 0) return ShardLoss.Empty;
        var result = TrainBatch(mine);
        return new ShardLoss(result.Loss, mine.Length, result.Tokens);
    }

    /// <inheritdoc/>
    public override Evaluation Evaluate()
    {
        var (devLoss, metrics) = Evaluate(Classifier, _dev, _devLabels, Labels, _options.BatchSize);
        return Describe(metrics.Accuracy, devLoss, metrics.MacroF1);
    }

    private static Evaluation Describe(double accuracy, double devLoss, double macroF1) => new()
    {
        Metrics = new JsonObject
        {
            ["dev_loss"] = Evaluation.Number(devLoss),
            ["dev_accuracy"] = Evaluation.Number(accuracy),
            ["dev_macro_f1"] = Evaluation.Number(macroF1),
        },
        Score = [accuracy, -devLoss],
        Summary = string.Create(CultureInfo.InvariantCulture, $"dev loss {devLoss:F4}  dev accuracy {accuracy:P2}  macro F1 {macroF1:F4}"),
    };

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> CheckpointMetadata(TrainingCursor at) =>
        new ClassifierCheckpoint(Classifier, Symbols, Labels, _options, at.EpochsCompleted).Metadata();

    /// <inheritdoc/>
    public override long PlannedStepsOf(ModelCheckpoint saved) =>
        _batches.BatchesPerEpoch * saved.GetJson<ClassifierTrainingOptions>("options").Epochs;

    /// <inheritdoc/>
    public override Evaluation? ReadEarlierBest(string json, ModelCheckpoint file)
    {
        var best = EarlierBest.Read<EarlierRecord>(json, file);
        return Describe(best.DevAccuracy, best.DevLoss, best.DevMacroF1) with { Epoch = best.Epoch, Step = best.Epoch * _batches.BatchesPerEpoch };
    }

    // The best record as the classifier's own trainer wrote it before the one training loop.
    private sealed record EarlierRecord(int Epoch, double DevLoss, double DevAccuracy, double DevMacroF1);

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
}
