using System.Diagnostics;
using System.Globalization;
using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training.Char;

/// <summary>A report after a training step; evaluations carry the validation loss (nats per character).</summary>
public sealed record TrainingProgress(long Step, long TotalSteps, double TrainLoss, double? ValidationLoss,
    float LearningRate, double TokensPerSecond, double ElapsedSeconds);

public sealed record TrainingSummary(long Step, double? ValidationLoss, bool Interrupted, double ElapsedSeconds);

/// <summary>
/// Trains a character language model as char-rnn does: batches of windows, mean cross-entropy, gradient
/// clipping, an optimizer and a learning-rate schedule; evaluates on the validation text every so often,
/// appends to DIR/metrics.jsonl and writes DIR/checkpoint.safetensors (atomically) at each evaluation,
/// at the end and when cancelled. A run resumed from its checkpoint continues with exactly the losses an
/// uninterrupted run would have had.
/// </summary>
public sealed class CharLanguageModelTrainer
{
    private readonly TextCorpus _corpus;
    private readonly CharTrainingOptions _options;
    private readonly string _outDirectory;
    private readonly Optimizer _optimizer;
    private readonly LearningRateSchedule _schedule;
    private readonly Rng _batchRng;
    private readonly ITextBatcher _batcher;
    private readonly MetricsLog _metrics;
    private RecurrentState? _carried;
    private long _step;

    public CharLanguageModel Model { get; }
    public long Step => _step;

    public CharLanguageModelTrainer(TextCorpus corpus, CharTrainingOptions options, string outDirectory, CharCheckpoint? resume = null)
    {
        options.Validate();
        _corpus = corpus;
        _options = options;
        _outDirectory = outDirectory;
        var seedRng = new Rng(options.Seed);
        Model = resume?.Model ?? new CharLanguageModel(CharCheckpoint.ModelConfig(options, corpus.Vocabulary.Count), seedRng);
        if (resume is not null && resume.Vocabulary.ToString() != corpus.Vocabulary.ToString())
            throw new InvalidDataException("The text's characters differ from the checkpoint's vocabulary; resume with the text it was trained on.");
        _batchRng = seedRng.Fork();
        if (resume?.BatchRngState is { } batchState) _batchRng.State = batchState;
        if (resume?.DropoutRngState is { } dropoutState) Model.Rnn.DropoutRng.State = dropoutState;

        _batcher = options.Batching == BatchingMode.Stream
            ? new StreamBatcher(corpus.Train, options.SeqLength, options.BatchSize, resume?.StreamPosition ?? 0)
            : new RandomWindowBatcher(corpus.Train, options.SeqLength, options.BatchSize, _batchRng);
        _carried = resume?.CarriedState;
        _step = resume?.Step ?? 0;

        _optimizer = options.ToOptimizerSettings().Create(Model.NamedParameters());
        if (resume is not null) _optimizer.LoadState(resume.OptimizerState, resume.OptimizerSteps);
        _schedule = options.CreateSchedule(StepsPerEpoch);
        _metrics = new MetricsLog(outDirectory);
        _metrics.KeepLinesUpTo(_step);
    }

    public long StepsPerEpoch => Math.Max(1, _corpus.Train.Length / ((long)_options.SeqLength * _options.BatchSize));

    public TrainingSummary Run(Action<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(_outDirectory);
        var clock = Stopwatch.StartNew();
        double? lastValidation = null;
        double lossSum = 0; int lossCount = 0;
        long tokensSinceReport = 0;
        var sinceReport = Stopwatch.StartNew();
        double tokensPerSecond = 0;
        var parameters = Model.NamedParameters().Select(p => p.Parameter).ToArray();
        Model.Training = true;

        while (_step < _options.Steps)
        {
            if (cancel.IsCancellationRequested)
            {
                SaveCheckpoint();
                return new TrainingSummary(_step, lastValidation, Interrupted: true, clock.Elapsed.TotalSeconds);
            }
            var batch = _batcher.Next();
            RecurrentState? initial = _options.Batching == BatchingMode.Stream && !batch.StartsNewStreams ? _carried : null;
            _optimizer.ZeroGrad();
            var (loss, final) = Model.Run(batch.Inputs, batch.Targets, batch.Steps, batch.BatchSize, initial, backward: true);
            if (!double.IsFinite(loss)) throw new TrainingDivergedException($"The training loss became {loss} at step {_step + 1}; lower LearningRate or clip gradients (GradClip).", "LearningRate", "GradClip");
            _carried = final;
            if (_options.GradClip > 0)
            {
                if (_options.ClipByValue) GradientClipping.ClipByValue(parameters, _options.GradClip);
                else GradientClipping.ClipByGlobalNorm(parameters, _options.GradClip);
            }
            _step++;
            _optimizer.LearningRate = _schedule.At(_step, _options.LearningRate);
            _optimizer.Step();

            lossSum += loss; lossCount++;
            tokensSinceReport += (long)batch.Steps * batch.BatchSize;
            if (sinceReport.Elapsed.TotalSeconds >= 1)
            {
                tokensPerSecond = tokensSinceReport / sinceReport.Elapsed.TotalSeconds;
                tokensSinceReport = 0;
                sinceReport.Restart();
            }
            if (tokensPerSecond == 0) tokensPerSecond = tokensSinceReport / Math.Max(1e-9, sinceReport.Elapsed.TotalSeconds);

            bool evaluate = _step % _options.EvalEvery == 0 || _step == _options.Steps;
            if (evaluate && _corpus.Validation.Length > 1)
                lastValidation = CharLanguageModelEvaluator.Evaluate(Model, _corpus.Validation, _options.SeqLength).NatsPerChar;
            var report = new TrainingProgress(_step, _options.Steps, lossSum / lossCount, evaluate ? lastValidation : null,
                _optimizer.LearningRate, tokensPerSecond, clock.Elapsed.TotalSeconds);
            if (evaluate)
            {
                AppendMetrics(report);
                SaveCheckpoint();
                lossSum = 0; lossCount = 0;
                sinceReport.Restart(); tokensSinceReport = 0;
            }
            progress?.Invoke(report);
        }
        return new TrainingSummary(_step, lastValidation, Interrupted: false, clock.Elapsed.TotalSeconds);
    }

    public void SaveCheckpoint()
    {
        Directory.CreateDirectory(_outDirectory);
        var checkpoint = new CharCheckpoint
        {
            Options = _options,
            Vocabulary = _corpus.Vocabulary,
            Model = Model,
            Step = _step,
            BatchRngState = _batchRng.State,
            DropoutRngState = Model.Rnn.DropoutRng.State,
            StreamPosition = (_batcher as StreamBatcher)?.Position ?? 0,
            CarriedState = _options.Batching == BatchingMode.Stream ? _carried : null,
        };
        checkpoint.Save(Path.Combine(_outDirectory, CharCheckpoint.FileName), _optimizer);
        checkpoint.SaveWeights(Path.Combine(_outDirectory, CharCheckpoint.WeightsFileName));
    }

    private void AppendMetrics(TrainingProgress p) => _metrics.Append(new Dictionary<string, object?>
    {
        ["step"] = p.Step,
        ["train_loss"] = Math.Round(p.TrainLoss, 5),
        ["val_loss"] = p.ValidationLoss is double v ? Math.Round(v, 5) : null,
        ["lr"] = p.LearningRate,
        ["tokens_per_s"] = Math.Round(p.TokensPerSecond),
        ["elapsed_s"] = Math.Round(p.ElapsedSeconds, 2),
    });
}
