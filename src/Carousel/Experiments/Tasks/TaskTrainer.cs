using System.Diagnostics;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Experiments.Tasks;

/// <summary>
/// A check of the test sequences. It stops as soon as more than the allowed number are wrong (a model that
/// fails shows it on the first batches), so <see cref="Tested"/> may be fewer than <see cref="TestSequences"/>.
/// </summary>
public sealed record TaskEvaluation(int Wrong, int Tested, int TestSequences, int AllowedWrong)
{
    public bool Solved => Tested == TestSequences && Wrong <= AllowedWrong;

    /// <summary>E.g. "1 wrong of 2,560" or "≥ 4 wrong of the first 64".</summary>
    public override string ToString() =>
        Tested == TestSequences ? $"{Wrong} wrong of {TestSequences:N0}" : $"≥ {Wrong} wrong of the first {Tested:N0}";
}

/// <summary>A report after every training step.</summary>
/// <param name="TrainLoss">Mean training loss since the last evaluation.</param>
/// <param name="Evaluation">The check made at this step, if one was.</param>
public sealed record TaskProgress(long Step, long Sequences, long MaxSequences, double TrainLoss, TaskEvaluation? Evaluation,
    double SequencesPerSecond, double ElapsedSeconds);

/// <param name="Sequences">Training sequences used until the task was solved or the budget ran out.</param>
public sealed record TaskResult(bool Solved, long Steps, long Sequences, TaskEvaluation? LastEvaluation, double TrainLoss,
    double ElapsedSeconds, bool Interrupted);

/// <summary>
/// Trains a recurrent model on a <see cref="SequenceTask"/>: a <see cref="SequenceTagger"/> (recurrent stack →
/// linear output at every step; the task's batches score the outputs they need) with the chosen cell, gate
/// initialisation and optimizer; gradients from an <see cref="ITaskLearner"/> (BPTT by default), clipped by global
/// norm, one update per batch (or, for an online learner, the updates it makes during the batch). Every <see cref="TaskTrainingOptions.EvaluateEvery"/> steps it checks the fresh test sequences by the
/// task's criterion and stops as soon as the task is solved, or when the budget of sequences or steps is spent.
/// </summary>
public sealed class TaskTrainer
{
    private readonly TaskTrainingOptions _options;
    private readonly ITaskLearner _learner;
    private readonly Optimizer _optimizer;
    private readonly Parameter[] _parameters;
    private readonly WeightUpdate _update;
    private bool[] _correct = [];

    public SequenceTask Task { get; }
    public SequenceTagger Model { get; }

    /// <summary>The gate initialisation applied: <see cref="GateInitialization.Default"/> for cells without gates.</summary>
    public GateInitialization AppliedGateInit { get; }

    /// <param name="learner">How gradients are computed; null for the one <see cref="TaskTrainingOptions.Learner"/> names.</param>
    public TaskTrainer(SequenceTask task, TaskTrainingOptions options, ITaskLearner? learner = null)
    {
        options.Validate();
        _options = options;
        _learner = learner ?? TaskLearners.Create(options);
        Task = task;
        var rng = new Rng((ulong)options.Seed);
        Model = new SequenceTagger(new RecurrentOptions(options.Cell, task.InputSize, options.Hidden, options.Layers), task.OutputSize, rng);
        AppliedGateInit = Model.Rnn.HasKeepGate ? options.GateInit : GateInitialization.Default;
        switch (AppliedGateInit)
        {
            case GateInitialization.ForgetBias: Model.Rnn.InitializeKeepGateBias(options.ForgetBias); break;
            case GateInitialization.Chrono: Model.Rnn.InitializeChrono(Math.Max(3, task.LongestSequence), rng.Fork()); break;
        }
        var named = Model.NamedParameters();
        _parameters = named.Select(p => p.Parameter).ToArray();
        _optimizer = new OptimizerSettings(options.Optimizer, options.LearningRate).Create(named);
        _update = new WeightUpdate(_optimizer, _parameters, options.GradClip);
    }

    public TaskResult Run(Action<TaskProgress>? progress = null, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        long step = 0, sequences = 0;
        double lossSum = 0, lastLoss = double.NaN;
        int lossCount = 0;
        TaskEvaluation? evaluation = null;
        while (step < _options.MaxSteps && sequences < _options.MaxSequences)
        {
            if (cancel.IsCancellationRequested)
                return new TaskResult(false, step, sequences, evaluation, lastLoss, clock.Elapsed.TotalSeconds, Interrupted: true);
            int batchSize = (int)Math.Min(_options.BatchSize, _options.MaxSequences - sequences);
            var batch = Task.NextTrainingBatch(batchSize);
            _optimizer.ZeroGrad();
            double loss = _learner.ComputeGradients(Model, batch, _update);
            if (!double.IsFinite(loss)) throw new TrainingDivergedException($"The training loss became {loss} at step {step + 1}; lower LearningRate or clip gradients (GradClip).", "LearningRate", "GradClip");
            if (!_learner.UpdatesWeights) _update.Apply();
            step++;
            sequences += batchSize;
            lossSum += loss;
            lossCount++;

            lastLoss = lossSum / lossCount;
            bool last = step >= _options.MaxSteps || sequences >= _options.MaxSequences;
            bool evaluate = step % _options.EvaluateEvery == 0 || last;
            if (evaluate) evaluation = Evaluate();
            progress?.Invoke(new TaskProgress(step, sequences, _options.MaxSequences, lastLoss, evaluate ? evaluation : null,
                sequences / clock.Elapsed.TotalSeconds, clock.Elapsed.TotalSeconds));
            if (!evaluate) continue;
            lossSum = 0;
            lossCount = 0;
            if (evaluation!.Solved) break;
        }
        return new TaskResult(evaluation?.Solved ?? false, step, sequences, evaluation, lastLoss, clock.Elapsed.TotalSeconds, Interrupted: false);
    }

    /// <summary>Checks the test sequences, batch by batch, until more than the allowed number are wrong.</summary>
    public TaskEvaluation Evaluate()
    {
        Model.Training = false;
        int wrong = 0, tested = 0;
        foreach (var batch in Task.TestBatches(_options.BatchSize))
        {
            if (_correct.Length < batch.BatchSize) _correct = new bool[batch.BatchSize];
            var outputs = Model.Forward(batch.Inputs, batch.Lengths);
            var correct = _correct.AsSpan(0, batch.BatchSize);
            batch.Judge(outputs.Data, correct);
            foreach (bool ok in correct) if (!ok) wrong++;
            tested += batch.BatchSize;
            if (wrong > Task.AllowedWrong) break;
        }
        Model.Training = true;
        return new TaskEvaluation(wrong, tested, Task.TestSequences, Task.AllowedWrong);
    }
}
