using System.Globalization;
using System.Text.Json.Nodes;
using Carousel.Data;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Training.Generation;

/// <summary>
/// A <see cref="ConditionedGenerator"/> in the one training loop, trained end to end (the loss reaches the condition
/// layer through the recurrent stack's initial-state gradient): texts wrapped in start and end symbols, epochs of batches
/// bucketed by length and padded (padding ignored by the loss); evaluated on the dev texts after every epoch, where the
/// better model has the lower dev loss in nats per symbol.
/// </summary>
public sealed class GeneratorTraining : Trainable<int[]>
{
    private readonly GeneratorTrainingOptions _options;
    private readonly IReadOnlyList<ConditionedText> _train, _dev;
    private readonly int[][] _trainIds, _devIds;
    private readonly LengthBucketBatches _batches;
    private readonly RunIdentity _identity;

    /// <summary>The options a resumed run may change.</summary>
    public static readonly string[] ResumableChanges = [nameof(GeneratorTrainingOptions.Epochs), nameof(GeneratorTrainingOptions.Threads)];

    /// <summary>The generator being trained.</summary>
    public ConditionedGenerator Generator { get; }
    /// <summary>The characters of the training texts and the start and end symbols.</summary>
    public CharVocabulary Vocabulary { get; }
    /// <summary>Names of the one-hot conditions (label k is the k-th unit), or empty for free-form vectors.</summary>
    public string[] Labels { get; }

    /// <summary>Checks and encodes the data and builds the model from <see cref="TrainingLoopSettings.Seed"/>; nothing is written.</summary>
    public GeneratorTraining(GeneratorTrainingOptions options, IReadOnlyList<ConditionedText> train, IReadOnlyList<ConditionedText> dev, string[] labels)
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
        _train = train; _dev = dev;
        Labels = labels;
        Vocabulary = new CharVocabulary(train.SelectMany(e => CharVocabulary.ScalarValues(e.Text))
            .Append(ConditionedGenerator.StartSymbol).Append(ConditionedGenerator.EndSymbol));
        _trainIds = [.. train.Select(e => Wrap(Vocabulary, e.Text))];
        _devIds = [.. dev.Select(e => Wrap(Vocabulary, e.Text, unknownOk: true))];
        MemoryNeeded(options, Vocabulary.Count, conditionSize, _trainIds.Concat(_devIds).Max(s => s.Length - 1)).Check();
        var seedRng = new Rng(options.Seed);
        Generator = new ConditionedGenerator(options.ModelConfig(Vocabulary.Count, conditionSize), seedRng);
        _batches = new LengthBucketBatches([.. _trainIds.Select(s => s.Length - 1)], options.BatchSize, seedRng.Fork());
        using var fingerprint = new DataFingerprint().Add(_trainIds).Add(_devIds);
        foreach (var e in train.Concat(dev)) fingerprint.Add(e.Condition);
        _identity = new RunIdentity("options", ResumableChanges, ["labels", "vocabulary", "condition_size"], fingerprint.ToString(), nameof(GeneratorTrainingOptions.Epochs));
    }

    /// <summary>The loop's settings: <see cref="GeneratorTrainingOptions.Epochs"/> epochs, evaluated after each; <paramref name="directory"/> null writes nothing.</summary>
    public TrainingRun Run(string? directory, LastCheckpoint? resume = null) =>
        _options.ToRun(_batches.BatchesPerEpoch * _options.Epochs, _batches.BatchesPerEpoch, directory, resume);

    /// <summary>What a run with <paramref name="options"/> allocates (see <see cref="MemoryEstimate"/>): <paramref name="vocabulary"/> symbols, condition vectors of <paramref name="conditionSize"/>, texts of up to <paramref name="longest"/> steps.</summary>
    public static MemoryEstimate MemoryNeeded(GeneratorTrainingOptions options, int vocabulary, int conditionSize, int longest) => new MemoryEstimate().SequenceModel(
        new RecurrentOptions(options.Cell, options.Embedding, options.Hidden, options.Layers, Dropout: options.Dropout),
        options.ToOptimizerSettings(), longest, options.BatchSize, vocabulary, vocabulary, outputPerStep: true,
        $"the weights of Hidden {options.Hidden} × Layers {options.Layers}", [nameof(options.Hidden), nameof(options.Layers), nameof(options.Embedding)],
        $"the activations of BatchSize {options.BatchSize} × {longest} steps (the longest text)", [nameof(options.BatchSize), nameof(options.Hidden)],
        otherWeights: ((double)conditionSize + 1) * options.Layers * options.Hidden * (options.Cell.HasCellState() ? 2 : 1));

    /// <inheritdoc/>
    public override IModule Model => Generator;
    /// <inheritdoc/>
    public override IBatchSource<int[]> Batches => _batches;
    /// <inheritdoc/>
    public override string CheckpointKind => GeneratorCheckpoint.Kind;
    /// <inheritdoc/>
    public override RunIdentity Identity => _identity;

    /// <inheritdoc/>
    public override BatchLoss TrainBatch(int[] examples)
    {
        var (inputs, targets, steps, conditions) = Batch(_trainIds, _train, examples);
        double loss = Generator.Run(inputs, targets, steps, examples.Length, conditions, backward: true);
        return new BatchLoss(loss, inputs.Length);
    }

    /// <inheritdoc/>
    public override void RequireShards()
    {
    }

    /// <summary>This process's texts of the batch; the loss is a mean over their scored symbols (padding ignored).</summary>
    public override ShardLoss TrainShard(int[] examples, BatchShard shard)
    {
        var mine = shard.Of(examples);
        if (mine.Length == 0) return ShardLoss.Empty;
        var (inputs, targets, steps, conditions) = Batch(_trainIds, _train, mine);
        double loss = Generator.Run(inputs, targets, steps, mine.Length, conditions, backward: true);
        int scored = 0;
        foreach (int target in targets) if (target != SoftmaxCrossEntropy.Ignore) scored++;
        return new ShardLoss(loss, scored, inputs.Length);
    }

    /// <inheritdoc/>
    public override Evaluation Evaluate() => Describe(Evaluate(Generator, _devIds, _dev, _options.BatchSize));

    private static Evaluation Describe(double devLoss) => new()
    {
        Metrics = new JsonObject { ["dev_loss"] = Evaluation.Number(devLoss) },
        Score = [-devLoss],
        Summary = string.Create(CultureInfo.InvariantCulture, $"dev loss {devLoss:F4}"),
    };

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> CheckpointMetadata(TrainingCursor at) =>
        new GeneratorCheckpoint(Generator, Vocabulary, Labels, _options, at.EpochsCompleted).Metadata();

    /// <inheritdoc/>
    public override long PlannedStepsOf(ModelCheckpoint saved) =>
        _batches.BatchesPerEpoch * saved.GetJson<GeneratorTrainingOptions>("options").Epochs;

    /// <inheritdoc/>
    public override Evaluation? ReadEarlierBest(string json, ModelCheckpoint file)
    {
        var best = EarlierBest.Read<EarlierRecord>(json, file);
        return Describe(best.DevLoss) with { Epoch = best.Epoch, Step = best.Epoch * _batches.BatchesPerEpoch };
    }

    // The best record as the generator's own trainer wrote it before the one training loop.
    private sealed record EarlierRecord(int Epoch, double DevLoss);

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

    /// <summary>Mean nats per predicted symbol over the examples (each text's symbols and its end).</summary>
    public static double Evaluate(ConditionedGenerator model, int[][] wrapped, IReadOnlyList<ConditionedText> examples, int batchSize)
    {
        bool wasTraining = model.Training;
        model.Training = false;
        double total = 0; long count = 0;
        foreach (var batch in LengthBuckets.Plan([.. wrapped.Select(s => s.Length - 1)], batchSize, rng: null))
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
}
