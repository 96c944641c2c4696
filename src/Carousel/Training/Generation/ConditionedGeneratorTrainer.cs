using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training.Generation;

/// <summary>Everything that defines a conditioned-generator training run (the optimization: <see cref="TrainingLoopSettings"/>).</summary>
public sealed record GeneratorTrainingOptions : TrainingLoopSettings
{
    [JsonConverter(typeof(JsonStringEnumConverter<CellKind>))]
    public CellKind Cell { get; init; } = CellKind.Lstm;
    public int Hidden { get; init; } = 128;
    public int Layers { get; init; } = 1;
    public int Embedding { get; init; } = 32;
    public float Dropout { get; init; }
    public int Epochs { get; init; } = 20;

    protected override void ValidateOwnFields()
    {
        RequireStackSizes(Hidden, Layers, Embedding, Dropout);
        Require(Epochs > 0, "Epochs", $"Epochs must be positive, got {Epochs}.");
    }

    public ConditionedGeneratorConfig ModelConfig(int vocabularySize, int conditionSize) =>
        new(vocabularySize, conditionSize, Cell, Hidden, Layers, Embedding, Dropout);
}

/// <summary>The dev evaluation after an epoch: nats per symbol (the end symbol included).</summary>
public sealed record GeneratorEpochResult(int Epoch, double TrainLoss, double DevLoss, bool Best, double ElapsedSeconds);

/// <summary>
/// How a run ended: its best epoch (null before the first), the epochs finished, and <see cref="Interrupted"/> when it
/// stopped before its last epoch (a cancellation that comes after the last batch finishes the run).
/// </summary>
public sealed record GeneratorTrainingSummary(GeneratorEpochResult? Best, int Epochs, bool Interrupted, double ElapsedSeconds);

/// <summary>
/// Trains a <see cref="ConditionedGenerator"/> end to end (the loss reaches the condition layer through the
/// recurrent stack's initial-state gradient): texts wrapped in start/end symbols, batches bucketed by length and
/// padded (padding ignored by the loss), clipping, an optimizer. After every epoch the dev loss decides whether
/// DIR/checkpoint.safetensors (and model.safetensors) is replaced: the directory holds the best epoch's model.
/// After every epoch and when interrupted it writes DIR/last.safetensors, from which a run continues exactly
/// (<see cref="LastCheckpoint"/>).
/// </summary>
public sealed class ConditionedGeneratorTrainer
{
    private readonly GeneratorTrainingOptions _options;
    private readonly string _outDirectory;
    private readonly IReadOnlyList<ConditionedText> _train, _dev;
    private readonly int[][] _trainIds, _devIds;
    private readonly Optimizer _optimizer;
    private readonly LearningRateSchedule _schedule;
    private readonly TrainingCursor _cursor;
    private readonly string _dataFingerprint;
    private readonly MetricsLog _metrics;
    private GeneratorEpochResult? _best;

    /// <summary>The options a resumed run may change.</summary>
    public static readonly string[] ResumableChanges = [nameof(GeneratorTrainingOptions.Epochs), nameof(GeneratorTrainingOptions.Threads)];

    public ConditionedGenerator Model { get; }
    public CharVocabulary Vocabulary { get; }
    /// <summary>Names of the one-hot conditions (label k is the k-th unit), or empty for free-form vectors.</summary>
    public string[] Labels { get; }

    public ConditionedGeneratorTrainer(GeneratorTrainingOptions options, IReadOnlyList<ConditionedText> train,
        IReadOnlyList<ConditionedText> dev, string[] labels, string outDirectory, LastCheckpoint? resume = null)
    {
        options.Validate();
        if (train.Count == 0 || dev.Count == 0) throw new InvalidDataException("Training and dev data must not be empty.");
        int conditionSize = train[0].Condition.Length;
        foreach (var e in train.Concat(dev))
        {
            if (e.Condition.Length != conditionSize)
                throw new InvalidDataException($"Condition vectors differ in size: {conditionSize} and {e.Condition.Length} (text '{e.Text}').");
            if (e.Text.Length == 0) throw new InvalidDataException("An empty text.");
            if (e.Text.Contains(ConditionedGenerator.StartSymbol) || e.Text.Contains(ConditionedGenerator.EndSymbol))
                throw new InvalidDataException($"Text '{e.Text}' holds U+0002 or U+0003, which mark the start and end of texts.");
        }
        _options = options;
        _outDirectory = outDirectory;
        _metrics = new MetricsLog(outDirectory);
        _train = train; _dev = dev;
        Labels = labels;
        Vocabulary = new CharVocabulary(train.SelectMany(e => CharVocabulary.ScalarValues(e.Text))
            .Append(ConditionedGenerator.StartSymbol).Append(ConditionedGenerator.EndSymbol));
        _trainIds = train.Select(e => Wrap(Vocabulary, e.Text)).ToArray();
        _devIds = dev.Select(e => Wrap(Vocabulary, e.Text, unknownOk: true)).ToArray();
        var seedRng = new Rng(options.Seed);
        Model = new ConditionedGenerator(options.ModelConfig(Vocabulary.Count, conditionSize), seedRng);
        _cursor = new TrainingCursor(seedRng.Fork());
        _optimizer = options.ToOptimizerSettings().Create(Model.NamedParameters());
        _schedule = options.ScheduleSettings.Create(StepsPerEpoch * options.Epochs, StepsPerEpoch);
        using (var fingerprint = new DataFingerprint().Add(_trainIds).Add(_devIds))
        {
            foreach (var e in train.Concat(dev)) fingerprint.Add(e.Condition);
            _dataFingerprint = fingerprint.ToString();
        }
        var length = new RunLength(StepsPerEpoch * options.Epochs, StepsPerEpoch, "Epochs",
            options.ScheduleSettings.ShapedByLength ? saved => StepsPerEpoch * saved.GetJson<GeneratorTrainingOptions>("options").Epochs : null,
            "train a new run of the length wanted");
        _best = resume?.Continue<GeneratorEpochResult>(CheckpointMetadata(), "options", ResumableChanges, ["labels", "vocabulary", "condition_size"],
            _dataFingerprint, Model.NamedParameters(), _optimizer, Model, _cursor, length, _metrics, metricsKey: "epoch");
    }

    /// <summary>Batches per epoch.</summary>
    public long StepsPerEpoch => (_trainIds.Length + _options.BatchSize - 1) / _options.BatchSize;

    /// <summary>Epochs already trained (more than 0 when resumed).</summary>
    public int EpochsCompleted => _cursor.EpochsCompleted;

    private IReadOnlyDictionary<string, string> CheckpointMetadata() =>
        new GeneratorCheckpoint(Model, Vocabulary, Labels, _options, _cursor.EpochsCompleted).Metadata();

    /// <summary>DIR/last.safetensors: where the run stands now, to continue it with --resume.</summary>
    private void SaveLast() => LastCheckpoint.Save(_outDirectory, GeneratorCheckpoint.Kind, Model.NamedParameters(), _optimizer,
        CheckpointMetadata(), _cursor.Position(Model, _best is null ? null : LastCheckpoint.SerializeBest(_best), _dataFingerprint));

    /// <summary>[start, symbols…, end]; with <paramref name="unknownOk"/> characters outside the vocabulary are left out (dev texts).</summary>
    public static int[] Wrap(CharVocabulary vocabulary, string text, bool unknownOk = false)
    {
        var ids = new List<int> { vocabulary.Encode(ConditionedGenerator.StartSymbol.ToString())[0] };
        foreach (int cp in CharVocabulary.ScalarValues(text))
        {
            if (vocabulary.TryGetId(cp, out int id)) ids.Add(id);
            else if (!unknownOk) throw new InvalidDataException($"Character U+{cp:X4} is not in the vocabulary.");
        }
        ids.Add(vocabulary.Encode(ConditionedGenerator.EndSymbol.ToString())[0]);
        return [.. ids];
    }

    public GeneratorTrainingSummary Run(Action<int, int, int, double, GeneratorEpochResult?>? progress = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(_outDirectory);
        var clock = Stopwatch.StartNew();
        var parameters = Model.NamedParameters().Select(p => p.Parameter).ToArray();
        var lengths = _trainIds.Select(s => s.Length - 1).ToArray();
        while (_cursor.EpochsCompleted < _options.Epochs) // not a for over epoch numbers: EpochsCompleted + 1 may overflow
        {
            int epoch = _cursor.EpochsCompleted + 1;
            var plan = _cursor.PlanEpoch(lengths, _options.BatchSize);
            if (_cursor.BatchesIntoEpoch == 0) _cursor.LossSum = 0;
            Model.Training = true;
            for (int i = _cursor.BatchesIntoEpoch; i < plan.Count; i++)
            {
                if (cancel.IsCancellationRequested)
                {
                    SaveLast();
                    return new GeneratorTrainingSummary(_best, epoch - 1, Interrupted: true, clock.Elapsed.TotalSeconds);
                }
                var (inputs, targets, steps, conditions) = Batch(_trainIds, _train, plan[i]);
                _optimizer.ZeroGrad();
                double loss = Model.Run(inputs, targets, steps, plan[i].Length, conditions, backward: true);
                if (!double.IsFinite(loss)) throw new TrainingDivergedException($"The training loss became {loss} in epoch {epoch}; lower LearningRate.", "LearningRate");
                _cursor.StepOptimizer(parameters, _optimizer, _schedule, _options);
                _cursor.LossSum += loss;
                progress?.Invoke(epoch, i + 1, plan.Count, _cursor.LossSum / (i + 1), null);
            }
            double devLoss = Evaluate(Model, _devIds, _dev, _options.BatchSize);
            bool isBest = _best is null || devLoss < _best.DevLoss;
            var result = new GeneratorEpochResult(epoch, _cursor.LossSum / plan.Count, devLoss, isBest, clock.Elapsed.TotalSeconds);
            if (isBest)
            {
                _best = result;
                new GeneratorCheckpoint(Model, Vocabulary, Labels, _options, epoch).Save(_outDirectory, _optimizer);
            }
            AppendMetrics(result);
            _cursor.EpochDone();
            SaveLast();
            progress?.Invoke(epoch, plan.Count, plan.Count, result.TrainLoss, result);
        }
        return new GeneratorTrainingSummary(_best, _options.Epochs, Interrupted: false, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Mean nats per predicted symbol over the examples (each text's symbols and its end).</summary>
    public static double Evaluate(ConditionedGenerator model, int[][] wrapped, IReadOnlyList<ConditionedText> examples, int batchSize)
    {
        bool wasTraining = model.Training;
        model.Training = false;
        double total = 0; long count = 0;
        foreach (var batch in LengthBuckets.Plan(wrapped.Select(s => s.Length - 1).ToArray(), batchSize, rng: null))
        {
            var (inputs, targets, steps, conditions) = Batch(wrapped, examples, batch);
            int counted = targets.Count(t => t != SoftmaxCrossEntropy.Ignore);
            total += model.Run(inputs, targets, steps, batch.Length, conditions) * counted;
            count += counted;
        }
        model.Training = wasTraining;
        return total / count;
    }

    // Inputs are a text's symbols but the last, targets all but the first: [T, B] time-major, padding ignored.
    private static (int[] Inputs, int[] Targets, int Steps, float[] Conditions) Batch(int[][] wrapped, IReadOnlyList<ConditionedText> examples, int[] rows)
    {
        int B = rows.Length, T = 0, C = examples[0].Condition.Length;
        foreach (int n in rows) T = Math.Max(T, wrapped[n].Length - 1);
        var inputs = new int[T * B];
        var targets = new int[T * B];
        Array.Fill(targets, SoftmaxCrossEntropy.Ignore);
        var conditions = new float[B * C];
        for (int b = 0; b < B; b++)
        {
            var ids = wrapped[rows[b]];
            for (int t = 0; t < ids.Length - 1; t++)
            {
                inputs[t * B + b] = ids[t];
                targets[t * B + b] = ids[t + 1];
            }
            examples[rows[b]].Condition.CopyTo(conditions, b * C);
        }
        return (inputs, targets, T, conditions);
    }

    private void AppendMetrics(GeneratorEpochResult r) => _metrics.Append(new Dictionary<string, object>
    {
        ["epoch"] = r.Epoch,
        ["train_loss"] = Math.Round(r.TrainLoss, 5),
        ["dev_loss"] = Math.Round(r.DevLoss, 5),
        ["best"] = r.Best,
        ["elapsed_s"] = Math.Round(r.ElapsedSeconds, 1),
    });
}

/// <summary>
/// A trained conditioned generator with its vocabulary (start and end symbols included) and the names of its
/// one-hot conditions; a <see cref="ModelCheckpoint"/> of kind "conditioned-generator/1".
/// </summary>
public sealed record GeneratorCheckpoint(ConditionedGenerator Model, CharVocabulary Vocabulary, string[] Labels,
    GeneratorTrainingOptions Options, int Epoch)
{
    public const string Kind = "conditioned-generator/1";

    public void Save(string directory, Optimizer? optimizer) =>
        ModelCheckpoint.SaveToDirectory(directory, Kind, Model.NamedParameters(), optimizer, Metadata(), Epoch);

    /// <summary>The checkpoint's metadata: options, vocabulary, labels and the condition size.</summary>
    public Dictionary<string, string> Metadata() => new()
    {
        ["options"] = JsonSerializer.Serialize(Options),
        ["vocabulary"] = Vocabulary.ToString(),
        ["labels"] = JsonSerializer.Serialize(Labels),
        ["condition_size"] = Model.Config.ConditionSize.ToString(CultureInfo.InvariantCulture),
    };

    public static GeneratorCheckpoint Load(string path)
    {
        var file = ModelCheckpoint.Load(path, Kind);
        var options = file.GetJson<GeneratorTrainingOptions>("options");
        var labels = file.GetJson<string[]>("labels");
        if (!int.TryParse(file.Get("condition_size"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int conditionSize) || conditionSize <= 0)
            throw new InvalidDataException($"{file.Path}: condition_size is not a positive count.");
        CharVocabulary vocabulary;
        ConditionedGenerator model;
        try
        {
            vocabulary = CharVocabulary.Parse(file.Get("vocabulary"));
            model = new ConditionedGenerator(options.ModelConfig(vocabulary.Count, conditionSize), new Rng(0));
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{file.Path}: impossible model: {e.Message}"); }
        file.LoadWeights(model.NamedParameters());
        model.Training = false;
        return new GeneratorCheckpoint(model, vocabulary, labels, options, (int)file.Step);
    }

    /// <summary>The condition vector for a label name: its one-hot.</summary>
    public float[] OneHot(string label)
    {
        int k = Array.IndexOf(Labels, label);
        if (k < 0) throw Labels.Length == 0
            ? new SettingException("Condition", "This model was trained on condition vectors, not labels: give ConditionVector instead of Condition.", "ConditionVector")
            : new SettingException("Condition", $"Unknown condition '{label}': expected one of {string.Join(", ", Labels)}.");
        var v = new float[Model.Config.ConditionSize];
        v[k] = 1f;
        return v;
    }
}
