using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Carousel.Diagnostics;
using Carousel.Data;
using Carousel.IO;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training.EncoderDecoder;

/// <summary>
/// Everything a sequence-to-sequence training run is made of (saved as JSON in its checkpoint; the optimization:
/// <see cref="TrainingLoopSettings"/>).
/// </summary>
public sealed record Seq2SeqTrainingOptions : TrainingLoopSettings
{
    /// <summary>The defaults that differ from the other trainers'.</summary>
    public Seq2SeqTrainingOptions()
    {
        LearningRate = 1e-3f;
        DecayRate = 0.5f;
        BatchSize = 64;
    }

    public CellKind Cell { get; init; } = CellKind.Lstm;
    public int Embedding { get; init; } = 64;
    public int EncoderHidden { get; init; } = 256;
    public int EncoderLayers { get; init; } = 1;
    public bool Bidirectional { get; init; } = true;
    public int DecoderHidden { get; init; } = 512;
    public int DecoderLayers { get; init; } = 1;
    public bool Attention { get; init; } = true;
    public float Dropout { get; init; } = 0.2f;
    public SourceTokens SourceTokens { get; init; } = SourceTokens.Chars;
    public int Epochs { get; init; } = 10;
    /// <summary>Steps between dev evaluations besides the one after each epoch (0: after each epoch only).</summary>
    public int EvalEvery { get; init; }
    /// <summary>Beams for the dev evaluation during training (1: greedy).</summary>
    public int EvalBeam { get; init; } = 1;

    protected override void ValidateOwnFields()
    {
        Require(Epochs > 0, "Epochs", $"Epochs must be positive, got {Epochs}.");
        Require(EvalEvery >= 0, "EvalEvery", $"EvalEvery must be ≥ 0, got {EvalEvery}.");
        Require(EvalBeam >= 1, "EvalBeam", $"EvalBeam must be at least 1, got {EvalBeam}.");
        ModelConfig(4, 4).Validate();
    }

    public Seq2SeqConfig ModelConfig(int sourceVocabulary, int targetVocabulary) => new()
    {
        Cell = Cell, SourceVocabulary = sourceVocabulary, TargetVocabulary = targetVocabulary, Embedding = Embedding,
        EncoderHidden = EncoderHidden, EncoderLayers = EncoderLayers, Bidirectional = Bidirectional,
        DecoderHidden = DecoderHidden, DecoderLayers = DecoderLayers, Attention = Attention, Dropout = Dropout,
    };
}

/// <summary>A report after a training step; evaluations carry the dev scores.</summary>
public sealed record Seq2SeqProgress(long Step, long TotalSteps, int Epoch, double TrainLoss, float LearningRate,
    double SymbolsPerSecond, double ElapsedSeconds, TranscriptionMetrics? Dev, bool Best);

public sealed record Seq2SeqSummary(long Step, TranscriptionMetrics? BestDev, int BestEpoch, bool Interrupted, double ElapsedSeconds);

/// <summary>
/// Trains a <see cref="Seq2Seq"/> model on pairs: length-bucketed shuffled batches, teacher forcing, mean
/// cross-entropy per target symbol, global-norm clipping, an optimizer and a per-epoch step decay. After every
/// epoch (and every <see cref="Seq2SeqTrainingOptions.EvalEvery"/> steps) it decodes the dev set and appends PER and
/// WER to DIR/metrics.jsonl; whenever dev WER (then PER) is the best so far it writes DIR/checkpoint.safetensors and
/// DIR/model.safetensors atomically, so the directory always holds the best model seen. After every epoch and when
/// interrupted it writes DIR/last.safetensors, from which a run continues exactly (<see cref="LastCheckpoint"/>).
/// </summary>
public sealed class Seq2SeqTrainer
{
    private readonly Seq2SeqTrainingOptions _options;
    private readonly string _outDirectory;
    private readonly List<int[]> _trainSources = new(), _trainTargets = new();
    private readonly List<int[]> _devSources = new();
    private readonly List<IReadOnlyList<string[]>> _devReferences = new();
    private readonly Optimizer _optimizer;
    private readonly LearningRateSchedule _schedule;
    private readonly TrainingCursor _cursor;
    private readonly string _dataFingerprint;
    private readonly MetricsLog _metrics;
    private TranscriptionMetrics? _bestDev;
    private int _bestEpoch;

    /// <summary>The best dev evaluation so far, as <see cref="TrainingPosition.Best"/> keeps it.</summary>
    private sealed record BestRecord(TranscriptionMetrics Dev, int Epoch);

    /// <summary>The options a resumed run may change.</summary>
    public static readonly string[] ResumableChanges = [nameof(Seq2SeqTrainingOptions.Epochs), nameof(Seq2SeqTrainingOptions.Threads)];

    public Seq2Seq Model { get; }
    public TokenVocabulary SourceVocabulary { get; }
    public TokenVocabulary TargetVocabulary { get; }
    public long StepsPerEpoch { get; }
    public long TotalSteps => StepsPerEpoch * _options.Epochs;
    public int DevWords => _devSources.Count;

    /// <param name="initialWeights">A checkpoint to start from instead of random weights (fine-tuning, or more epochs at a lower rate):
    /// it must have the same model configuration and vocabularies; the optimizer starts afresh.</param>
    /// <param name="resume">DIR/last.safetensors of an earlier run on the same data and options, to continue it.</param>
    public Seq2SeqTrainer(Seq2SeqTrainingOptions options, IReadOnlyList<SequencePair> train, IReadOnlyList<SequencePair> dev, string outDirectory,
        Seq2SeqCheckpoint? initialWeights = null, LastCheckpoint? resume = null)
    {
        options.Validate();
        if (initialWeights is not null && resume is not null)
            throw new SettingException("InitialWeights", "A resumed run continues with its own weights; it does not go with InitialWeights.");
        if (train.Count == 0) throw new InvalidDataException("No training pairs.");
        if (dev.Count == 0) throw new InvalidDataException("No dev pairs.");
        _options = options;
        _outDirectory = outDirectory;
        SourceVocabulary = new TokenVocabulary(train.SelectMany(p => p.Source));
        TargetVocabulary = new TokenVocabulary(train.SelectMany(p => p.Target));
        foreach (var pair in train)
        {
            _trainSources.Add(SourceVocabulary.Encode(pair.Source, $"training line {pair.Line}"));
            _trainTargets.Add(TargetVocabulary.Encode(pair.Target, $"training line {pair.Line}"));
        }
        foreach (var (source, targets) in SequencePairs.GroupBySource(dev))
        {
            _devSources.Add(SourceVocabulary.Encode(source, $"dev word '{SequencePairs.JoinSource(source, options.SourceTokens)}'"));
            _devReferences.Add(targets);
        }
        var rng = new Rng(options.Seed);
        Model = new Seq2Seq(options.ModelConfig(SourceVocabulary.Count, TargetVocabulary.Count), rng);
        if (options.Cell.HasForgetGate())
        {
            Model.Encoder.InitializeForgetGateBias(1f);
            Model.Decoder.InitializeForgetGateBias(1f);
        }
        if (initialWeights is not null) CopyWeights(initialWeights);
        _cursor = new TrainingCursor(rng.Fork()) { LossSum = double.NaN }; // LossSum: the running mean of the train loss, none yet
        StepsPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        _optimizer = options.ToOptimizerSettings().Create(Model.NamedParameters());
        _schedule = options.ScheduleSettings.Create(TotalSteps, StepsPerEpoch);
        _metrics = new MetricsLog(outDirectory);
        using (var fingerprint = new DataFingerprint().Add(_trainSources).Add(_trainTargets).Add(_devSources))
        {
            foreach (var reference in _devReferences.SelectMany(r => r)) fingerprint.Add(string.Join(' ', reference));
            _dataFingerprint = fingerprint.ToString();
        }
        var length = new RunLength(TotalSteps, StepsPerEpoch, "Epochs",
            options.ScheduleSettings.ShapedByLength ? saved => StepsPerEpoch * saved.GetJson<Seq2SeqTrainingOptions>("training").Epochs : null,
            "start a new run from its weights with InitialWeights", ["InitialWeights"]);
        if (resume?.Continue<BestRecord>(CheckpointMetadata(), "training", ResumableChanges, ["source_vocabulary", "target_vocabulary", "source_tokens"],
                _dataFingerprint, Model.NamedParameters(), _optimizer, Model, _cursor, length, _metrics) is { } best)
            (_bestDev, _bestEpoch) = (best.Dev, best.Epoch);
    }

    /// <summary>Optimizer steps already taken (more than 0 when resumed).</summary>
    public long StepsDone => _cursor.Step;

    private Dictionary<string, string> CheckpointMetadata() => new(Seq2SeqCheckpoint.ModelMetadata(Model, SourceVocabulary, TargetVocabulary, _options.SourceTokens))
    {
        ["training"] = JsonSerializer.Serialize(_options),
    };

    /// <summary>DIR/last.safetensors: where the run stands now, to continue it with --resume.</summary>
    private void SaveLast()
    {
        string? best = _bestDev is null ? null : LastCheckpoint.SerializeBest(new BestRecord(_bestDev, _bestEpoch));
        LastCheckpoint.Save(_outDirectory, Seq2SeqCheckpoint.Kind, Model.NamedParameters(), _optimizer, CheckpointMetadata(),
            _cursor.Position(Model, best, _dataFingerprint));
    }

    private void CopyWeights(Seq2SeqCheckpoint from)
    {
        if (from.Model.Config != Model.Config)
            throw new SettingException("InitialWeights", "The model of InitialWeights differs from the one asked for; give the same Cell, sizes, layers, attention and dropout.", "Cell");
        if (!from.SourceVocabulary.Symbols.SequenceEqual(SourceVocabulary.Symbols) || !from.TargetVocabulary.Symbols.SequenceEqual(TargetVocabulary.Symbols))
            throw new SettingException("InitialWeights", "The vocabularies of InitialWeights differ from the training data's.");
        foreach (var ((_, to), (_, source)) in Model.NamedParameters().Zip(from.Model.NamedParameters()))
        {
            source.Value.Data.CopyTo(to.Value.Data, 0);
            to.MarkChanged();
        }
    }

    public Seq2SeqSummary Run(Action<Seq2SeqProgress>? report = null, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        var parameters = Model.NamedParameters().Select(p => p.Parameter).ToList();
        var lengths = _trainSources.Select((s, i) => Math.Max(s.Length, _trainTargets[i].Length)).ToArray();
        long symbols = 0;
        Directory.CreateDirectory(_outDirectory);
        while (_cursor.EpochsCompleted < _options.Epochs) // not a for over epoch numbers: EpochsCompleted + 1 may overflow
        {
            int epoch = _cursor.EpochsCompleted + 1;
            var plan = _cursor.PlanEpoch(lengths, _options.BatchSize);
            for (int i = _cursor.BatchesIntoEpoch; i < plan.Count; i++)
            {
                if (cancel.IsCancellationRequested)
                {
                    SaveLast();
                    return Summary(clock, interrupted: true);
                }
                Model.Training = true;
                var batch = Seq2SeqBatch.From(_trainSources, _trainTargets, plan[i]);
                _optimizer.ZeroGrad();
                var (loss, count) = Model.Forward(batch);
                if (!double.IsFinite(loss))
                    throw new TrainingDivergedException($"The training loss became {loss} at step {_cursor.Step + 1}; lower LearningRate or GradClip. The best checkpoint so far is kept.", "LearningRate", "GradClip");
                Model.Backward();
                long step = _cursor.StepOptimizer(parameters, _optimizer, _schedule, _options);
                symbols += count;
                double runningLoss = _cursor.LossSum = double.IsNaN(_cursor.LossSum) ? loss : 0.98 * _cursor.LossSum + 0.02 * loss;
                bool endOfEpoch = step == epoch * StepsPerEpoch;
                bool evaluate = endOfEpoch || (_options.EvalEvery > 0 && step % _options.EvalEvery == 0);
                TranscriptionMetrics? dev = null;
                bool best = false;
                if (evaluate) (dev, best) = EvaluateAndKeepBest(epoch, runningLoss, clock);
                report?.Invoke(new Seq2SeqProgress(step, TotalSteps, epoch, runningLoss, _optimizer.LearningRate,
                    symbols / Math.Max(1e-9, clock.Elapsed.TotalSeconds), clock.Elapsed.TotalSeconds, dev, best));
            }
            _cursor.EpochDone();
            SaveLast();
        }
        return Summary(clock, interrupted: false);
    }

    private Seq2SeqSummary Summary(Stopwatch clock, bool interrupted) =>
        new(_cursor.Step, _bestDev, _bestEpoch, interrupted, clock.Elapsed.TotalSeconds);

    private (TranscriptionMetrics Dev, bool Best) EvaluateAndKeepBest(int epoch, double trainLoss, Stopwatch clock)
    {
        var (dev, _) = Seq2SeqEvaluator.Evaluate(Model, TargetVocabulary, _devSources, _devReferences, _options.EvalBeam);
        Model.Training = true;
        bool best = _bestDev is null || dev.WrongWords < _bestDev.WrongWords
            || (dev.WrongWords == _bestDev.WrongWords && dev.Edits < _bestDev.Edits);
        if (best)
        {
            _bestDev = dev;
            _bestEpoch = epoch;
            long step = _cursor.Step;
            Seq2SeqCheckpoint.Save(_outDirectory, Model, SourceVocabulary, TargetVocabulary, _options.SourceTokens, _optimizer, step,
                new Dictionary<string, string>
                {
                    ["training"] = JsonSerializer.Serialize(_options),
                    ["dev"] = JsonSerializer.Serialize(new { epoch, step, per = dev.PhonemeErrorRate, wer = dev.WordErrorRate, words = dev.Words }),
                });
        }
        _metrics.Append(new
        {
            step = _cursor.Step, epoch, train_loss = Math.Round(trainLoss, 5), dev_per = Math.Round(dev.PhonemeErrorRate, 5),
            dev_wer = Math.Round(dev.WordErrorRate, 5), lr = _optimizer.LearningRate, best,
            elapsed_seconds = Math.Round(clock.Elapsed.TotalSeconds, 1),
        });
        return (dev, best);
    }

}
