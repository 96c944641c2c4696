using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carousel.Data;
using Carousel.Diagnostics;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Training.EncoderDecoder;

/// <summary>
/// A <see cref="Seq2Seq"/> model in the one training loop: pairs in epochs of shuffled batches bucketed by length, teacher
/// forcing, mean cross-entropy per target symbol. After every epoch (and every <see cref="Seq2SeqTrainingOptions.EvalEvery"/>
/// steps) it decodes the dev sources; the better model makes fewer wrong words, then fewer symbol edits.
/// </summary>
public sealed class Seq2SeqTraining : Trainable<int[]>
{
    private readonly Seq2SeqTrainingOptions _options;
    private readonly List<int[]> _trainSources = [], _trainTargets = [];
    private readonly List<int[]> _devSources = [];
    private readonly List<IReadOnlyList<string[]>> _devReferences = [];
    private readonly LengthBucketBatches _batches;
    private readonly RunIdentity _identity;
    private readonly bool _fromInitialWeights;

    /// <summary>The options a resumed run may change.</summary>
    public static readonly string[] ResumableChanges = [nameof(Seq2SeqTrainingOptions.Epochs), nameof(Seq2SeqTrainingOptions.Threads), nameof(Seq2SeqTrainingOptions.KeepEpochs)];

    /// <summary>The model being trained.</summary>
    public Seq2Seq Seq2Seq { get; }
    /// <summary>Source symbols learned from the training pairs.</summary>
    public TokenVocabulary SourceVocabulary { get; }
    /// <summary>Target symbols learned from the training pairs.</summary>
    public TokenVocabulary TargetVocabulary { get; }
    /// <summary>Distinct dev sources (each with all its references).</summary>
    public int DevWords => _devSources.Count;

    /// <summary>Learns both vocabularies from the training pairs, encodes the data and builds the model from <see cref="TrainingLoopSettings.Seed"/> (or <paramref name="initialWeights"/>); nothing is written.</summary>
    /// <param name="options">The run's options.</param>
    /// <param name="train">Training pairs.</param>
    /// <param name="dev">Dev pairs; a source with several targets counts as right when the output equals any of them.</param>
    /// <param name="initialWeights">A checkpoint to start from instead of random weights (fine-tuning, or more epochs at a lower rate):
    /// it must have the same model configuration and vocabularies; the optimizer starts afresh.</param>
    public Seq2SeqTraining(Seq2SeqTrainingOptions options, IReadOnlyList<SequencePair> train, IReadOnlyList<SequencePair> dev,
        Seq2SeqCheckpoint? initialWeights = null)
    {
        options.Validate();
        if (train.Count == 0) throw new InvalidDataException("No training pairs.");
        if (dev.Count == 0) throw new InvalidDataException("No dev pairs.");
        _options = options;
        SourceVocabulary = new TokenVocabulary(train.SelectMany(p => p.Source));
        TargetVocabulary = new TokenVocabulary(train.SelectMany(p => p.Target));
        foreach (var pair in train)
        {
            _trainSources.Add(SourceVocabulary.Encode(pair.Source, $"training line {pair.Line}"));
            var target = TargetVocabulary.Encode(pair.Target, $"training line {pair.Line}");
            if (options.RightToLeft) Array.Reverse(target); // decoding turns the outputs back
            _trainTargets.Add(target);
        }
        foreach (var (source, targets) in SequencePairs.GroupBySource(dev))
        {
            _devSources.Add(SourceVocabulary.Encode(source, $"dev word '{SequencePairs.JoinSource(source, options.SourceTokens)}'"));
            _devReferences.Add(targets);
        }
        MemoryNeeded(options, SourceVocabulary.Count, TargetVocabulary.Count,
            _trainSources.Concat(_devSources).Max(s => s.Length), _trainTargets.Max(t => t.Length) + 1).Check();
        var rng = new Rng(options.Seed);
        Seq2Seq = new Seq2Seq(options.ModelConfig(SourceVocabulary.Count, TargetVocabulary.Count), rng);
        if (options.Cell.HasForgetGate())
        {
            Seq2Seq.Encoder.InitializeForgetGateBias(1f);
            Seq2Seq.Decoder.InitializeForgetGateBias(1f);
        }
        if (initialWeights is not null) CopyWeights(initialWeights);
        _fromInitialWeights = initialWeights is not null;
        _batches = new LengthBucketBatches([.. _trainSources.Select((s, i) => Math.Max(s.Length, _trainTargets[i].Length))], options.BatchSize, rng.Fork());
        using var fingerprint = new DataFingerprint().Add(_trainSources).Add(_trainTargets).Add(_devSources);
        foreach (var reference in _devReferences.SelectMany(r => r)) fingerprint.Add(string.Join(' ', reference));
        _identity = new RunIdentity("training", ResumableChanges, ["source_vocabulary", "target_vocabulary", "source_tokens"],
            fingerprint.ToString(), nameof(Seq2SeqTrainingOptions.Epochs));
    }

    /// <summary>
    /// The loop's settings: <see cref="Seq2SeqTrainingOptions.Epochs"/> epochs, evaluated after each and every
    /// <see cref="Seq2SeqTrainingOptions.EvalEvery"/> steps; <paramref name="directory"/> null writes nothing.
    /// </summary>
    public TrainingRun Run(string? directory, LastCheckpoint? resume = null) =>
        _fromInitialWeights && resume is not null
            ? throw new SettingException("InitialWeights", "A resumed run continues with its own weights; it does not go with InitialWeights.")
            : _options.ToRun(_batches.BatchesPerEpoch * _options.Epochs, _batches.BatchesPerEpoch, directory, resume) with
            {
                EvaluateEvery = _options.EvalEvery, KeepEpochs = _options.KeepEpochs,
            };

    /// <summary>
    /// What a run with <paramref name="options"/> allocates (see <see cref="MemoryEstimate"/>): the encoder over sources of up
    /// to <paramref name="sourceSteps"/> symbols, the decoder over targets of up to <paramref name="targetSteps"/> steps (with the
    /// start symbol), the bridge, the attention's scores [B, Tt, Ts] and the output layer's logits over the target symbols.
    /// </summary>
    public static MemoryEstimate MemoryNeeded(Seq2SeqTrainingOptions options, int sourceVocabulary, int targetVocabulary, int sourceSteps, int targetSteps)
    {
        var optimizer = options.ToOptimizerSettings();
        var config = options.ModelConfig(sourceVocabulary, targetVocabulary);
        int B = options.BatchSize, D = options.Bidirectional ? 2 : 1;
        double De = (double)D * options.EncoderHidden, Hd = options.DecoderHidden;
        double bridge = (options.Cell.HasCellState() ? 2 : 1) * (De + 1) * options.DecoderLayers * Hd;
        double attention = options.Attention ? De * Hd + (De + Hd) * Hd : 0;
        string[] batchSettings = [nameof(options.BatchSize), nameof(options.EncoderHidden), nameof(options.DecoderHidden)];
        var estimate = new MemoryEstimate()
            .SequenceModel(new RecurrentOptions(options.Cell, options.Embedding, options.EncoderHidden, options.EncoderLayers, options.Bidirectional, options.Dropout),
                optimizer, sourceSteps, B, sourceVocabulary, 0, outputPerStep: false,
                $"the encoder's weights, EncoderHidden {options.EncoderHidden} × EncoderLayers {options.EncoderLayers}",
                [nameof(options.EncoderHidden), nameof(options.EncoderLayers), nameof(options.Embedding)],
                $"the encoder's activations over BatchSize {B} × {sourceSteps} steps (the longest source)", batchSettings)
            .SequenceModel(new RecurrentOptions(options.Cell, config.DecoderInputSize, options.DecoderHidden, options.DecoderLayers, Dropout: options.Dropout),
                optimizer, targetSteps, B, targetVocabulary, targetVocabulary, outputPerStep: true,
                $"the decoder's weights, DecoderHidden {options.DecoderHidden} × DecoderLayers {options.DecoderLayers}, with the bridge and attention",
                [nameof(options.DecoderHidden), nameof(options.DecoderLayers), nameof(options.EncoderHidden)],
                $"the decoder's activations over BatchSize {B} × {targetSteps} steps (the longest target)", batchSettings,
                otherWeights: bridge + attention);
        if (config.Attention)
        {
            // Scores and weights [B, Tt, Ts] with their gradients; contexts and attended outputs [B, Tt, De + Hd] with theirs.
            double rows = (double)B * targetSteps;
            estimate.Buffers($"the attention over BatchSize {B} × {targetSteps} target × {sourceSteps} source steps",
                rows * (4.0 * sourceSteps + 2 * (De + Hd)), rows * Math.Max(sourceSteps, De + Hd), batchSettings);
        }
        return estimate;
    }

    /// <inheritdoc/>
    public override IModule Model => Seq2Seq;
    /// <inheritdoc/>
    public override IBatchSource<int[]> Batches => _batches;
    /// <inheritdoc/>
    public override string CheckpointKind => Seq2SeqCheckpoint.Kind;
    /// <inheritdoc/>
    public override RunIdentity Identity => _identity;

    /// <inheritdoc/>
    public override BatchLoss TrainBatch(int[] examples)
    {
        var batch = Seq2SeqBatch.From(_trainSources, _trainTargets, examples);
        var (loss, count) = Seq2Seq.Forward(batch, _options.LabelSmoothing);
        if (double.IsFinite(loss)) Seq2Seq.Backward();
        return new BatchLoss(loss, count);
    }

    /// <inheritdoc/>
    public override void RequireShards()
    {
    }

    /// <summary>This process's pairs of the batch; the loss is a mean over their target symbols.</summary>
    public override ShardLoss TrainShard(int[] examples, BatchShard shard)
    {
        var mine = shard.Of(examples);
        if (mine.Length == 0) return ShardLoss.Empty;
        var result = TrainBatch(mine);
        return new ShardLoss(result.Loss, result.Tokens, result.Tokens);
    }

    /// <inheritdoc/>
    public override Evaluation Evaluate()
    {
        var (dev, _) = Seq2SeqEvaluator.Evaluate(Seq2Seq, TargetVocabulary, _devSources, _devReferences, _options.EvalBeam);
        return Describe(dev);
    }

    private static Evaluation Describe(TranscriptionMetrics dev) => new()
    {
        Metrics = new JsonObject
        {
            ["dev_per"] = Evaluation.Number(dev.PhonemeErrorRate),
            ["dev_wer"] = Evaluation.Number(dev.WordErrorRate),
            ["dev_words"] = dev.Words,
            ["dev_wrong_words"] = dev.WrongWords,
            ["dev_edits"] = dev.Edits,
            ["dev_reference_length"] = dev.ReferenceLength,
        },
        Score = [-dev.WrongWords, -dev.Edits],
        Summary = string.Create(CultureInfo.InvariantCulture, $"dev PER {dev.PhonemeErrorRate:P2}  WER {dev.WordErrorRate:P2}"),
    };

    /// <summary>The dev scores an evaluation of this model holds, or null for another kind of evaluation.</summary>
    public static TranscriptionMetrics? Scores(Evaluation? evaluation) =>
        evaluation?.Metrics is { } m && m["dev_words"] is { } words && m["dev_wrong_words"] is { } wrong && m["dev_edits"] is { } edits && m["dev_reference_length"] is { } length
            ? new TranscriptionMetrics(words.GetValue<int>(), wrong.GetValue<int>(), edits.GetValue<long>(), length.GetValue<long>())
            : null;

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> CheckpointMetadata(TrainingCursor at) =>
        new Dictionary<string, string>(Seq2SeqCheckpoint.ModelMetadata(Seq2Seq, SourceVocabulary, TargetVocabulary, _options.SourceTokens))
        {
            ["training"] = JsonSerializer.Serialize(_options),
        };

    /// <inheritdoc/>
    public override long PlannedStepsOf(ModelCheckpoint saved) =>
        _batches.BatchesPerEpoch * saved.GetJson<Seq2SeqTrainingOptions>("training").Epochs;

    /// <inheritdoc/>
    public override Evaluation? ReadEarlierBest(string json, ModelCheckpoint file)
    {
        var best = EarlierBest.Read<EarlierRecord>(json, file);
        return Describe(best.Dev) with { Epoch = best.Epoch };
    }

    // The best record as the seq2seq trainer wrote it before the one training loop.
    private sealed record EarlierRecord(TranscriptionMetrics Dev, int Epoch);

    private void CopyWeights(Seq2SeqCheckpoint from)
    {
        if (from.Model.Config != Seq2Seq.Config)
            throw new SettingException("InitialWeights", "The model of InitialWeights differs from the one asked for; give the same Cell, sizes, layers, attention and dropout.", "Cell");
        if (!from.SourceVocabulary.Symbols.SequenceEqual(SourceVocabulary.Symbols) || !from.TargetVocabulary.Symbols.SequenceEqual(TargetVocabulary.Symbols))
            throw new SettingException("InitialWeights", "The vocabularies of InitialWeights differ from the training data's.");
        foreach (var ((_, to), (_, source)) in Seq2Seq.NamedParameters().Zip(from.Model.NamedParameters()))
        {
            source.Value.Data.CopyTo(to.Value.Data, 0);
            to.MarkChanged();
        }
    }
}
