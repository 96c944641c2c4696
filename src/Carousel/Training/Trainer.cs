using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carousel.Distributed;
using Carousel.Tensors;
using Carousel.Kernels;
using Carousel.Optimizers;

namespace Carousel.Training;

/// <summary>
/// The one training loop. A model plugs in what is its own (<see cref="Trainable{TBatch}"/>: batches, loss with backward,
/// evaluation, "better"); the loop alone does the rest: the optimizer and its learning-rate schedule, gradient clipping,
/// stopping on an infinite or NaN loss or gradient (naming the step, keeping what was saved), evaluation every so often,
/// keeping the best model (DIR/checkpoint.safetensors and model.safetensors), where the run stands
/// (DIR/last.safetensors, from which a run continues exactly, also mid-epoch), DIR/metrics.jsonl with an elapsed time
/// that continues across resumes, progress reports, cancellation and the run's thread count. Under a
/// <see cref="Communicator"/> of several processes the same loop trains data-parallel: each process trains its shard of
/// every batch, the gradients are summed before the same step on every process, and rank 0 alone writes the run's files.
/// </summary>
/// <typeparam name="TBatch">One batch of the model's <see cref="Trainable{TBatch}.Batches"/>.</typeparam>
public sealed class Trainer<TBatch>
{
    private readonly Trainable<TBatch> _task;
    private readonly TrainingRun _run;
    private readonly IReadOnlyList<(string Name, Parameter Parameter)> _named;
    private readonly Parameter[] _parameters;
    private readonly MetricsLog? _metrics;
    private readonly TrainingCursor _cursor = new();
    private Evaluation? _best, _last;
    private bool _bestSaved;
    private double _trainLoss = double.NaN; // the mean batch loss as last reported
    private long? _lastSavedStep;           // the step of the last DIR/last.safetensors, this run's or the resumed one's

    /// <summary>Builds the optimizer for the model's parameters and, when <see cref="TrainingRun.Resume"/> is given, puts the saved run back.</summary>
    public Trainer(Trainable<TBatch> task, TrainingRun run)
    {
        if (run.PlannedSteps < 0) throw new ArgumentOutOfRangeException(nameof(run), run.PlannedSteps, "The planned steps must be ≥ 0.");
        if (run.Threads < 1) throw new ArgumentOutOfRangeException(nameof(run), run.Threads, "Threads must be at least 1.");
        if (run.EvaluateEvery < 0) throw new ArgumentOutOfRangeException(nameof(run), run.EvaluateEvery, "Evaluating every so many steps needs a count ≥ 0.");
        if (!(run.GradClip >= 0)) throw new ArgumentOutOfRangeException(nameof(run), run.GradClip, "Clipping needs a bound ≥ 0.");
        _task = task;
        _run = run;
        _named = task.Model.NamedParameters();
        _parameters = [.. _named.Select(p => p.Parameter)];
        Optimizer = run.Optimizer.Create(_named);
        Communicator = run.Communicator;
        task.Attach(Optimizer, run);
        if (run.Directory is not null) _metrics = new MetricsLog(run.Directory);
        if (run.Resume is { } saved) Resume(saved);
    }

    /// <summary>
    /// The processes that train this run together (from <see cref="TrainingRun.Communicator"/>; may be set before
    /// <see cref="Run"/>): one, or several that each train a shard of every batch.
    /// </summary>
    public ICommunicator Communicator { get; set; }

    /// <summary>Whether this process writes the run's files: the only one, or rank 0 of several.</summary>
    private bool Writes => Communicator.Rank == 0;

    /// <summary>The optimizer the loop steps.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>Where the run stands.</summary>
    public TrainingCursor Cursor => _cursor;

    /// <summary>The best evaluation so far (null before the first).</summary>
    public Evaluation? Best => _best;

    /// <summary>Batches per epoch, as the batch source counts them.</summary>
    public long BatchesPerEpoch => Math.Max(1, _task.Batches.BatchesPerEpoch);

    /// <summary>
    /// Trains until <see cref="TrainingRun.PlannedSteps"/>, an evaluation that says it is done, or cancellation (then it
    /// saves where it stands and returns with <see cref="TrainingSummary.Interrupted"/>). Reports every step to
    /// <paramref name="progress"/> synchronously, on the training thread.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The loss or the gradient became infinite or NaN; nothing of that step was saved.</exception>
    public TrainingSummary Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        var parallel = Communicator.Size > 1 ? Distribute() : null;
        using var threads = Gemm.UseThreads(_run.Threads);
        using var held = _run.Directory is null || !Writes ? null : RunLock.Acquire(_run.Directory);
        if (_run.Directory is not null && _run.Resume is null)
        {
            bool holdsRun = File.Exists(LastCheckpoint.PathIn(_run.Directory)) || File.Exists(ModelCheckpoint.Resolve(_run.Directory));
            if (holdsRun && !_run.Overwrite)
                throw new IOException($"'{_run.Directory}' already holds a training run; continue it (resume) or replace it (overwrite).");
            // A fresh run forgets the position of the run it replaces, which a later resume would otherwise continue.
            if (Writes) File.Delete(LastCheckpoint.PathIn(_run.Directory));
        }
        if (Writes && _run.Resume is not null) _metrics?.KeepLinesUpTo(_cursor.Step);
        parallel?.BroadcastWeights();
        var clock = Stopwatch.StartNew();
        double Elapsed() => _cursor.SecondsBefore + clock.Elapsed.TotalSeconds;
        var throughput = new Throughput();
        long perEpoch = BatchesPerEpoch;
        _task.Model.Training = true;
        bool finished = false, stop = false;
        while (_cursor.Step < _run.PlannedSteps && !finished)
        {
            // Several processes stop together: a request on any of them travels with the next step's sums.
            if (parallel is null ? cancel.IsCancellationRequested : stop)
            {
                if (!_bestSaved && _cursor.Step > 0) SaveBest(); // keep the work done when nothing was kept yet
                SaveLast(Elapsed());
                return Summary(interrupted: true, Elapsed());
            }
            var batch = _task.Batches.Next(_cursor.BatchesIntoEpoch);
            if (!_task.KeepsGradientsBetweenBatches) Optimizer.ZeroGrad();
            BatchLoss result;
            if (parallel is null) result = _task.TrainBatch(batch);
            else (result, stop) = parallel.Train(_task, batch, cancel.IsCancellationRequested);
            long step = _cursor.Step + 1;
            if (!double.IsFinite(result.Loss) && _run.StopOnDivergence) throw Diverged(step, $"the training loss became {result.Loss}");
            double norm = double.NaN;
            if (!result.WeightsUpdated)
            {
                norm = ClipGradients();
                if (!double.IsFinite(norm) && _run.StopOnDivergence) throw Diverged(step, $"the gradient norm became {norm}");
                Optimizer.LearningRate = _run.Schedule.At(step, _run.Optimizer.LearningRate);
                Optimizer.Step();
            }
            bool epochEnded = _cursor.BatchDone(result.Loss, perEpoch);
            double rate = throughput.Add(result.Tokens);
            double rateSinceEvaluation = throughput.SinceEvaluation;

            bool evaluate = step == _run.PlannedSteps || (_run.EvaluateEvery > 0 && step % _run.EvaluateEvery == 0)
                            || (epochEnded && _run.EvaluateAtEpochEnd) || _task.WantsEvaluation(step);
            double trainLoss = _trainLoss = _cursor.MeanLoss;
            Evaluation? evaluation = null;
            bool isBest = false;
            if (evaluate)
            {
                (evaluation, isBest) = EvaluateAndKeepBest(step);
                AppendMetrics(evaluation, trainLoss, isBest, rateSinceEvaluation, Elapsed());
                _cursor.ResetLoss();
                throughput.Evaluated();
            }
            if (epochEnded) SaveEpoch();
            if (evaluate || epochEnded) SaveLast(Elapsed());
            progress?.Report(new TrainingProgress(step, _run.PlannedSteps, (double)step / perEpoch, trainLoss, result.Loss, norm, Optimizer.LearningRate,
                rate, Elapsed(), evaluation, isBest));
            finished = (evaluation?.Done ?? false) || _task.Finished;
        }
        SaveLast(Elapsed()); // where the run ends, possibly inside an epoch
        return Summary(interrupted: false, Elapsed());
    }

    /// <summary>The data-parallel part of the loop, after checking that the model can train in shards.</summary>
    private DataParallel Distribute()
    {
        _task.RequireShards();
        if (_task.KeepsGradientsBetweenBatches)
            throw new SettingException("Distributed", "A model that carries gradients from batch to batch cannot train data-parallel; run it as one process.");
        return new DataParallel(Communicator, _parameters);
    }

    /// <summary>Clips as the run asks and returns the global gradient norm before clipping (to catch an infinite or NaN gradient).</summary>
    private double ClipGradients()
    {
        if (_run.GradClip > 0 && !_run.ClipByValue) return GradientClipping.ClipByGlobalNorm(_parameters, _run.GradClip);
        double norm = GradientClipping.GlobalNorm(_parameters);
        if (_run.GradClip > 0 && double.IsFinite(norm)) GradientClipping.ClipByValue(_parameters, (float)_run.GradClip);
        return norm;
    }

    private TrainingDivergedException Diverged(long step, string what)
    {
        long perEpoch = BatchesPerEpoch;
        string kept = _run.Directory is null ? ""
            : _lastSavedStep is { } saved ? $" What was saved before (the position at step {saved}) is kept."
            : " Nothing of this run was saved.";
        return new TrainingDivergedException(step, string.Create(CultureInfo.InvariantCulture,
            $"Training diverged at step {step} (epoch {(step - 1) / perEpoch + 1}, batch {(step - 1) % perEpoch + 1}): {what}; lower LearningRate or clip the gradients (GradClip).{kept}"),
            "LearningRate", "GradClip");
    }

    /// <summary>Evaluates in evaluation mode; a better evaluation (or any, when the model has nothing to evaluate on) is kept and saved.</summary>
    private (Evaluation? Evaluation, bool IsBest) EvaluateAndKeepBest(long step)
    {
        _task.Model.Training = false;
        Evaluation? evaluation;
        try { evaluation = _task.Evaluate(); }
        finally { _task.Model.Training = true; }
        evaluation = evaluation is null ? null : evaluation with { Step = step, Epoch = Math.Round((double)step / BatchesPerEpoch, 3) };
        if (evaluation is not null && _run.StopOnDivergence && evaluation.Score.Any(x => !double.IsFinite(x)))
            throw Diverged(step, $"the evaluation gave {evaluation.Summary}");
        _last = evaluation;
        bool isBest = evaluation is null || _best is null || _task.IsBetter(evaluation, _best);
        if (!isBest) return (evaluation, false);
        if (evaluation is not null) _best = evaluation;
        SaveBest();
        return (evaluation, true);
    }

    /// <summary>DIR/checkpoint.safetensors and DIR/model.safetensors: the model now, as the best so far.</summary>
    private void SaveBest()
    {
        if (_run.Directory is null) return;
        _bestSaved = true;
        if (!Writes) return;
        var metadata = new Dictionary<string, string>(_task.CheckpointMetadata(_cursor));
        if (_best is not null) metadata["evaluation"] = JsonSerializer.Serialize(_best, LastCheckpoint.Json);
        ModelCheckpoint.SaveToDirectory(_run.Directory, _task.CheckpointKind, _named, Optimizer, metadata, _cursor.Step);
    }

    /// <summary>The folder under a run's directory that holds the weights of its last epoch ends (see <see cref="TrainingRun.KeepEpochs"/>).</summary>
    public const string EpochsFolder = "epochs";

    /// <summary>The kept epoch-end checkpoints of a run directory, oldest first (none when it kept none).</summary>
    public static string[] KeptEpochs(string directory)
    {
        string folder = Path.Combine(directory, EpochsFolder);
        return Directory.Exists(folder) ? [.. Directory.GetFiles(folder, "epoch-*.safetensors").Order(StringComparer.Ordinal)] : [];
    }

    /// <summary>DIR/epochs/epoch-NNNN.safetensors: the weights at this epoch end, the oldest beyond <see cref="TrainingRun.KeepEpochs"/> deleted.</summary>
    private void SaveEpoch()
    {
        if (_run.Directory is null || _run.KeepEpochs <= 0) return;
        string folder = Path.Combine(_run.Directory, EpochsFolder);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"epoch-{_cursor.EpochsCompleted:D4}.safetensors"));
        ModelCheckpoint.Save(path, _task.CheckpointKind, _named, optimizer: null, _task.CheckpointMetadata(_cursor), _cursor.Step);
        var kept = KeptEpochs(_run.Directory);
        for (int i = 0; i < kept.Length - _run.KeepEpochs; i++) File.Delete(kept[i]);
    }

    /// <summary>DIR/last.safetensors: where the run stands now, to continue it exactly.</summary>
    private void SaveLast(double elapsedSeconds)
    {
        if (_run.Directory is null) return;
        _lastSavedStep = _cursor.Step;
        if (!Writes) return;
        var position = new TrainingPosition
        {
            EpochsCompleted = _cursor.EpochsCompleted,
            BatchesIntoEpoch = _cursor.BatchesIntoEpoch,
            Step = _cursor.Step,
            BatchRng = _task.Batches.State,
            StreamPosition = _task.Batches.StreamPosition,
            DropoutRngs = [.. _task.Model.DropoutRngs.Select(r => r.State)],
            LossSum = _cursor.LossSum,
            LossCount = _cursor.LossCount,
            ElapsedSeconds = elapsedSeconds,
            BestEvaluation = _best,
            DataFingerprint = _task.Identity.DataFingerprint,
        };
        LastCheckpoint.Save(_run.Directory, _task.CheckpointKind, _named, Optimizer, _task.CheckpointMetadata(_cursor), position, _task.CarriedState());
    }

    /// <summary>
    /// Puts a saved run back after checking it is this run: the same options but for those that may change, the same data,
    /// counters that agree with each other and with this run's epochs, the same length under a schedule shaped by it, and
    /// not already past this run's end.
    /// </summary>
    private void Resume(LastCheckpoint saved)
    {
        var identity = _task.Identity;
        saved.RequireSameRun(_task.CheckpointMetadata(_cursor), identity);
        saved.RequireConsistentCounters(BatchesPerEpoch);
        if (_run.Schedule.ShapedByLength) saved.RequireSameLength(_task.PlannedStepsOf(saved.File), _run.PlannedSteps, identity.LengthSetting);
        var model = _task.Model;
        var position = saved.Position;
        if (position.DropoutRngs.Length != model.DropoutRngs.Count)
            throw new InvalidDataException($"{saved.File.Path}: {position.DropoutRngs.Length} dropout generator states for a model with {model.DropoutRngs.Count}.");
        saved.File.LoadWeights(_named);
        Optimizer.LoadState(saved.File.OptimizerState, saved.File.OptimizerSteps);
        for (int k = 0; k < position.DropoutRngs.Length; k++) model.DropoutRngs[k].State = position.DropoutRngs[k];
        _task.Batches.Restore(position.BatchRng, position.StreamPosition);
        _task.RestoreCarriedState(saved.File.RunState);
        _cursor.Restore(position);
        _lastSavedStep = position.Step;
        saved.RequireNotPast(_run.PlannedSteps, identity.LengthSetting);
        _best = position.BestEvaluation ?? (position.Best is { } earlier ? _task.ReadEarlierBest(earlier, saved.File) : null);
        _bestSaved = _best is not null || File.Exists(ModelCheckpoint.Resolve(saved.Directory));
    }

    private void AppendMetrics(Evaluation? evaluation, double trainLoss, bool isBest, double tokensPerSecond, double elapsedSeconds)
    {
        if (_metrics is null || !Writes) return;
        var line = new JsonObject
        {
            ["step"] = _cursor.Step,
            ["epoch"] = Math.Round((double)_cursor.Step / BatchesPerEpoch, 3),
            ["train_loss"] = Evaluation.Number(trainLoss),
        };
        if (evaluation is not null)
            foreach (var (name, value) in evaluation.Metrics) line[name] = value?.DeepClone();
        line["best"] = isBest;
        line["lr"] = Evaluation.Number(Optimizer.LearningRate, 8);
        line["tokens_per_s"] = Evaluation.Number(Math.Round(tokensPerSecond));
        line["elapsed_s"] = Evaluation.Number(elapsedSeconds, 2);
        _metrics.Append(line);
        if (_run.Directory is not null) LossCurve.Write(_run.Directory, _metrics.Lines);
    }

    private TrainingSummary Summary(bool interrupted, double elapsedSeconds) =>
        new(_cursor.Step, _cursor.EpochsCompleted, _best, _last, _trainLoss, interrupted, elapsedSeconds);

    /// <summary>Tokens per second: over the last second or so (the progress line) and since the last evaluation (metrics.jsonl).</summary>
    private sealed class Throughput
    {
        private readonly Stopwatch _window = Stopwatch.StartNew(), _sinceEvaluation = Stopwatch.StartNew();
        private long _tokens, _tokensSinceEvaluation;
        private double _rate;

        /// <summary>Counts a batch's tokens; returns the recent rate (the first batches count from the start).</summary>
        public double Add(long tokens)
        {
            _tokens += tokens;
            _tokensSinceEvaluation += tokens;
            double seconds = _window.Elapsed.TotalSeconds;
            if (seconds >= 1 || _rate == 0)
            {
                _rate = _tokens / Math.Max(1e-9, seconds);
                if (seconds >= 1)
                {
                    _tokens = 0;
                    _window.Restart();
                }
            }
            return _rate;
        }

        /// <summary>Tokens per second since the last evaluation.</summary>
        public double SinceEvaluation => _tokensSinceEvaluation / Math.Max(1e-9, _sinceEvaluation.Elapsed.TotalSeconds);

        /// <summary>Starts the count since the last evaluation afresh (the evaluation's own time is not training).</summary>
        public void Evaluated()
        {
            _tokensSinceEvaluation = 0;
            _sinceEvaluation.Restart();
        }
    }
}
