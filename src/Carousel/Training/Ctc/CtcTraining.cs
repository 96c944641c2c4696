using System.Globalization;
using System.Text.Json.Nodes;
using Carousel.Data;
using Carousel.Diagnostics;
using Carousel.Layers;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Training.Ctc;

/// <summary>
/// A CTC recogniser in the one training loop: frames (normalised by statistics of the training frames) → recurrent
/// stack → Linear → log-softmax, trained on PyTorch's 'mean' CTC loss (per sequence divided by its label count, averaged
/// over the batch) over epochs of length-bucketed, zero-padded batches. Evaluated on the dev sequences every
/// <see cref="CtcTrainingOptions.EvalEvery"/> steps (else once per epoch): the better model has the lower label error
/// rate, then the higher sequence accuracy, then the lower dev loss. Without dev sequences the latest model is kept.
/// </summary>
public sealed class CtcTraining : Trainable<int[]>
{
    private readonly CtcTrainingOptions _options;
    private readonly CtcLabels _labels;
    private readonly FeatureNormalization _normalization;
    private readonly CtcSequences _train;
    private readonly CtcSequences? _dev;
    private readonly LengthBucketBatches _batches;
    private readonly RunIdentity _identity;
    private float[] _logProbs = [], _dLogits = [];

    /// <summary>The options a resumed run may change.</summary>
    public static readonly string[] ResumableChanges = [nameof(CtcTrainingOptions.Epochs), nameof(CtcTrainingOptions.Threads)];

    /// <summary>The model being trained: frames → stack → Linear to the blank and the labels.</summary>
    public SequenceTagger Recognizer { get; }
    /// <summary>Optimizer steps of the run: the (possibly fractional) epochs rounded up.</summary>
    public long PlannedSteps { get; }
    /// <summary>Batches in one pass over the training sequences.</summary>
    public long StepsPerEpoch => _batches.BatchesPerEpoch;

    /// <summary>
    /// Fits the normalisation on <paramref name="train"/>, encodes both sets (a dev label the training data lacks, frames
    /// of another width or labels longer than the frames allow fail here) and builds the model from the seed.
    /// </summary>
    public CtcTraining(IReadOnlyList<FrameSequence> train, IReadOnlyList<FrameSequence> dev, CtcTrainingOptions options)
        : this(CtcLabels.FromSequences(train), train.Count > 0 ? FeatureNormalization.Fit(train) : throw new InvalidDataException("There are no training sequences."), train, dev, options)
    {
    }

    /// <summary>With the labels and normalisation given (a run continued on the same data computes the same ones).</summary>
    public CtcTraining(CtcLabels labels, FeatureNormalization normalization, IReadOnlyList<FrameSequence> train, IReadOnlyList<FrameSequence> dev, CtcTrainingOptions options)
    {
        options.Validate();
        if (train.Count == 0) throw new InvalidDataException("There are no training sequences.");
        _options = options; _labels = labels; _normalization = normalization;
        _train = new CtcSequences(train, normalization, labels, withLabels: true, options.Stack);
        _dev = dev.Count > 0 ? new CtcSequences(dev, normalization, labels, withLabels: true, options.Stack) : null;
        var seedRng = new Rng(options.Seed);
        Recognizer = CtcCheckpoint.CreateModel(options, normalization.Width, labels, seedRng);
        _batches = new LengthBucketBatches(_train.Lengths, options.BatchSize, seedRng.Fork());
        PlannedSteps = PlannedStepsFor(options);
        using var fingerprint = new DataFingerprint().Add(_train.Targets!).Add(_train.Lengths);
        foreach (var frames in _train.Frames) fingerprint.Add(frames);
        if (_dev is not null)
        {
            fingerprint.Add(_dev.Targets!).Add(_dev.Lengths);
            foreach (var frames in _dev.Frames) fingerprint.Add(frames);
        }
        _identity = new RunIdentity("options", ResumableChanges, ["labels", "normalization"], fingerprint.ToString(), nameof(CtcTrainingOptions.Epochs));
    }

    private long PlannedStepsFor(CtcTrainingOptions options) => Math.Max(1, (long)Math.Ceiling(options.Epochs * _batches.BatchesPerEpoch));

    /// <summary>The loop's settings: <see cref="PlannedSteps"/> steps, evaluated every <see cref="CtcTrainingOptions.EvalEvery"/> steps (0: every epoch); <paramref name="directory"/> null writes nothing.</summary>
    public TrainingRun Run(string? directory, LastCheckpoint? resume = null) =>
        _options.ToRun(PlannedSteps, _batches.BatchesPerEpoch, directory, resume) with
        {
            EvaluateEvery = _options.EvalEvery > 0 ? _options.EvalEvery : _batches.BatchesPerEpoch,
            EvaluateAtEpochEnd = false,
        };

    /// <inheritdoc/>
    public override IModule Model => Recognizer;
    /// <inheritdoc/>
    public override IBatchSource<int[]> Batches => _batches;
    /// <inheritdoc/>
    public override string CheckpointKind => CtcCheckpoint.Kind;
    /// <inheritdoc/>
    public override RunIdentity Identity => _identity;

    /// <inheritdoc/>
    public override BatchLoss TrainBatch(int[] examples)
    {
        var (x, lengths, targets) = _train.Batch(examples);
        int T = x.Dim(0), B = x.Dim(1), C = _labels.ClassCount;
        var logits = Recognizer.Forward(x, lengths); // [T, B, C]
        if (_logProbs.Length != logits.Length) { _logProbs = new float[logits.Length]; _dLogits = new float[logits.Length]; }
        LogSoftmax.Forward(logits.Data, C, _logProbs);
        var loss = CtcLoss.Compute(_logProbs, T, B, C, targets!, lengths, _dLogits, CtcReduction.Mean);
        if (double.IsFinite(loss.Loss))
        {
            LogSoftmax.Backward(_logProbs, _dLogits, C, _dLogits); // [T, B, C] d loss / d logits
            Recognizer.Backward(_dLogits);
        }
        long steps = 0;
        foreach (int length in lengths) steps += length;
        return new BatchLoss(loss.Loss, steps);
    }

    /// <inheritdoc/>
    public override void RequireShards()
    {
    }

    /// <summary>This process's sequences of the batch; the loss (PyTorch's 'mean') is a mean over sequences.</summary>
    public override ShardLoss TrainShard(int[] examples, BatchShard shard)
    {
        var mine = shard.Of(examples);
        if (mine.Length == 0) return ShardLoss.Empty;
        var result = TrainBatch(mine);
        return new ShardLoss(result.Loss, mine.Length, result.Tokens);
    }

    /// <inheritdoc/>
    public override Evaluation? Evaluate()
    {
        if (_dev is null) return null;
        var loss = new CtcLossTotal();
        var decoded = CtcInference.Decode(Recognizer, _dev, Math.Max(_options.BatchSize, 32), _options.Beam, loss);
        return Describe(CtcInference.Score(decoded, _dev.Targets!), loss.Mean);
    }

    private static Evaluation Describe(TranscriptionMetrics dev, double loss) => new()
    {
        Metrics = new JsonObject { ["dev"] = MetricsRecord(dev, loss) },
        Score = [-dev.PhonemeErrorRate, -dev.WordErrorRate, double.IsFinite(loss) ? -loss : double.NegativeInfinity],
        Summary = string.Create(CultureInfo.InvariantCulture, $"dev LER {dev.PhonemeErrorRate:P2}  sequences {1 - dev.WordErrorRate:P2}  loss {loss:F4}"),
    };

    /// <summary>Label error rate, sequence accuracy, counts and loss, as written to metrics.jsonl and by `ctc eval --json`.</summary>
    public static JsonObject MetricsRecord(TranscriptionMetrics m, double loss) => new()
    {
        ["sequences"] = m.Words,
        ["labels"] = m.ReferenceLength,
        ["edits"] = m.Edits,
        ["label_error_rate"] = Evaluation.Number(m.PhonemeErrorRate, 6),
        ["sequence_accuracy"] = Evaluation.Number(1 - m.WordErrorRate, 6),
        ["loss"] = Evaluation.Number(loss, 6),
    };

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> CheckpointMetadata(TrainingCursor at) =>
        new CtcCheckpoint { Model = Recognizer, Labels = _labels, Normalization = _normalization, Options = _options, Step = at.Step }.Metadata();

    /// <inheritdoc/>
    public override long PlannedStepsOf(ModelCheckpoint saved) => PlannedStepsFor(saved.GetJson<CtcTrainingOptions>("options"));
}
