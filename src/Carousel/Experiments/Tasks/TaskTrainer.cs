using System.Text.Json.Nodes;
using Carousel.Distributed;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;
using Carousel.Training;

namespace Carousel.Experiments.Tasks;

/// <summary>
/// A check of the test sequences. It stops as soon as more than the allowed number are wrong (a model that
/// fails shows it on the first batches), so <see cref="Tested"/> may be fewer than <see cref="TestSequences"/>.
/// </summary>
/// <param name="Wrong">Test sequences found wrong by the task's criterion.</param>
/// <param name="Tested">Test sequences checked before the check stopped.</param>
/// <param name="TestSequences">The task's full set of test sequences.</param>
/// <param name="AllowedWrong">The most wrong sequences the task allows and still counts as solved.</param>
/// <param name="TestLoss">The mean training loss over the checked test sequences, for tasks that report it
/// (<see cref="SequenceTask.TestLossName"/>); NaN otherwise.</param>
public sealed record TaskEvaluation(int Wrong, int Tested, int TestSequences, int AllowedWrong, double TestLoss = double.NaN)
{
    /// <summary>Whether every test sequence was checked and at most the allowed number were wrong.</summary>
    public bool Solved => Tested == TestSequences && Wrong <= AllowedWrong;

    /// <summary>E.g. "1 wrong of 2,560" or "≥ 4 wrong of the first 64".</summary>
    public override string ToString() =>
        (Tested == TestSequences ? $"{Wrong} wrong of {TestSequences:N0}" : $"≥ {Wrong} wrong of the first {Tested:N0}") +
        (double.IsNaN(TestLoss) ? "" : $", loss {TestLoss.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}");
}

/// <summary>A report after every training step of a task run: progress against the budget, loss, speed, and the test check if one was made.</summary>
/// <param name="Step">Training steps (batches) done.</param>
/// <param name="Sequences">Training sequences drawn so far.</param>
/// <param name="MaxSequences">The run's budget of training sequences.</param>
/// <param name="TrainLoss">Mean training loss since the last evaluation.</param>
/// <param name="Evaluation">The check made at this step, if one was.</param>
/// <param name="SequencesPerSecond">Training speed, in sequences per second.</param>
/// <param name="ElapsedSeconds">Seconds trained so far.</param>
public sealed record TaskProgress(long Step, long Sequences, long MaxSequences, double TrainLoss, TaskEvaluation? Evaluation,
    double SequencesPerSecond, double ElapsedSeconds);

/// <summary>The outcome of a task run: whether it was solved, what it cost, and its last check of the test sequences.</summary>
/// <param name="Solved">Whether the last check met the task's criterion.</param>
/// <param name="Steps">Training steps (batches) done.</param>
/// <param name="Sequences">Training sequences used until the task was solved or the budget ran out.</param>
/// <param name="LastEvaluation">The last check of the test sequences, or null when none was made.</param>
/// <param name="TrainLoss">Mean batch loss since the check before the last step (NaN before the first batch).</param>
/// <param name="ElapsedSeconds">Seconds trained.</param>
/// <param name="Interrupted">Whether cancellation (or a time budget) stopped the run before it was solved or its budget spent.</param>
public sealed record TaskResult(bool Solved, long Steps, long Sequences, TaskEvaluation? LastEvaluation, double TrainLoss,
    double ElapsedSeconds, bool Interrupted);

/// <summary>
/// Trains a recurrent model on a <see cref="SequenceTask"/> in the one training loop (<see cref="Trainer{TBatch}"/>): a
/// <see cref="SequenceTagger"/> (recurrent stack → linear output at every step; the task's batches score the outputs they
/// need) with the chosen cell, gate initialisation and optimizer; gradients from an <see cref="ITaskLearner"/> (BPTT by
/// default), clipped by global norm, one update per batch (or, for an online learner, the updates it makes during the
/// batch). Every <see cref="TaskTrainingOptions.EvaluateEvery"/> steps it checks the fresh test sequences by the task's
/// criterion and stops as soon as the task is solved, or when the budget of sequences or steps is spent. Nothing is written.
/// </summary>
public sealed class TaskTrainer : InMemoryTrainable<TaskBatch>
{
    private readonly TaskTrainingOptions _options;
    private readonly ITaskLearner _learner;
    private readonly GeneratedBatches<TaskBatch> _batches;
    private long _sequences; // training sequences drawn so far
    private WeightUpdate? _update;
    private bool[] _correct = [];

    /// <summary>How the gradients (and, for Hessian-free training, the updates) are computed.</summary>
    public ITaskLearner Learner => _learner;

    /// <summary>The task trained on.</summary>
    public SequenceTask Task { get; }
    private readonly SequenceTagger? _tagger;
    private readonly NarxNetwork? _narx;
    private float[] _dOutputs = []; // [T, B, K] the NARX network's output gradient, reused

    /// <summary>The model trained: a recurrent stack with a linear head (<see cref="Tagger"/>) or a NARX / Jordan network (<see cref="Narx"/>).</summary>
    public IPerStepOutputModel Network { get; }

    /// <summary>The model trained when it is a recurrent stack with a linear head (<see cref="TaskTrainingOptions.Narx"/> not set).</summary>
    public SequenceTagger Tagger => _tagger ?? throw new InvalidOperationException($"This run trains a {_options.ModelName} network, not a recurrent stack: see Network.");

    /// <summary>The model trained when it is a NARX or Jordan network (<see cref="TaskTrainingOptions.Narx"/>), else null.</summary>
    public NarxNetwork? Narx => _narx;

    /// <summary>The gate initialisation applied: <see cref="GateInitialization.Default"/> for cells without gates.</summary>
    public GateInitialization AppliedGateInit { get; }

    /// <summary>A fresh model for <paramref name="task"/>, built and gate-initialised as <paramref name="options"/> say, ready to <see cref="Run"/>.</summary>
    /// <param name="task">The task and its fresh batches.</param>
    /// <param name="options">Model, optimizer and budget.</param>
    /// <param name="learner">How gradients are computed; null for the one <see cref="TaskTrainingOptions.Learner"/> names.</param>
    public TaskTrainer(SequenceTask task, TaskTrainingOptions options, ITaskLearner? learner = null)
    {
        options.Validate();
        _options = options;
        _learner = learner ?? TaskLearners.Create(options);
        Task = task;
        var rng = new Rng((ulong)options.Seed);
        if (options.Narx is { } narx)
        {
            var sample = task.TestBatches(options.BatchSize)[0];
            SettingException.Require(!narx.TeacherForcing || TaskOutputFeedback.HasStepTargets(sample), "TeacherForcing",
                $"Task '{task.Name}' has a target only at the last step, which nothing reads back: TeacherForcing has nothing to feed back there.");
            _narx = new NarxNetwork(new NarxOptions(task.InputSize, options.Hidden, task.OutputSize, narx.InputDelays, narx.OutputDelays,
                TaskOutputFeedback.Activation(task, sample)), rng);
            Network = _narx;
            AppliedGateInit = GateInitialization.Default;
        }
        else
        {
            _tagger = CreateTagger(task, options, rng);
            Network = _tagger;
            AppliedGateInit = _tagger.Rnn.HasKeepGate ? options.GateInit : GateInitialization.Default;
            switch (AppliedGateInit)
            {
                case GateInitialization.ForgetBias: _tagger.Rnn.InitializeKeepGateBias(options.ForgetBias); break;
                case GateInitialization.Chrono: _tagger.Rnn.InitializeChrono(Math.Max(3, task.LongestSequence), rng.Fork()); break;
            }
        }
        // Fresh sequences until the budget of sequences (the last batch may be smaller) or of steps is spent: one nominal epoch.
        _batches = new GeneratedBatches<TaskBatch>(() =>
        {
            int batchSize = (int)Math.Min(options.BatchSize, options.MaxSequences - _sequences);
            _sequences += batchSize;
            return task.NextTrainingBatch(batchSize);
        }, Math.Min(options.MaxSteps, (options.MaxSequences + options.BatchSize - 1) / options.BatchSize));
    }

    private static SequenceTagger CreateTagger(SequenceTask task, TaskTrainingOptions options, Rng rng)
    {
        new MemoryEstimate().SequenceModel(options.RecurrentOptions(task.InputSize),
            options.LoopOptimizer, task.LongestSequence, options.BatchSize, 0, task.OutputSize, outputPerStep: true,
            $"the weights of Hidden {options.Hidden} × Layers {options.Layers}", [nameof(options.Hidden), nameof(options.Layers)],
            $"the activations of BatchSize {options.BatchSize} × {task.LongestSequence} steps (the longest sequence)", [nameof(options.BatchSize), nameof(options.Hidden)]).Check();
        bool echoState = options.RecurrentInit == "echo-state";
        var weightInit = echoState ? RecurrentInit.PyTorch : RecurrentInitializer.Parse(options.RecurrentInit)!.Value;
        var tagger = new SequenceTagger(options.RecurrentOptions(task.InputSize) with { Init = weightInit }, task.OutputSize, rng);
        if (echoState) InitializeEchoState(tagger.Rnn, options, rng.Fork());
        return tagger;
    }

    // Echo-state-style weights: each H × H gate block of weight_hh sparse and scaled to the spectral radius, weight_ih
    // N(0, InputScale²), biases zero (the gate initialisation, applied after, may set some).
    private static void InitializeEchoState(RecurrentStack stack, TaskTrainingOptions options, Rng rng)
    {
        int H = options.Hidden;
        foreach (var p in stack.Parameters())
        {
            var values = p.Value.Data;
            if (p.Name.StartsWith("weight_hh", StringComparison.Ordinal))
                for (int gate = 0; gate < values.Length / (H * H); gate++)
                    RecurrentInitializer.FillEchoState(values.AsSpan(gate * H * H, H * H), H, options.SpectralRadius, TaskTrainingOptions.EchoStateConnections, rng);
            else if (p.Name.StartsWith("weight_ih", StringComparison.Ordinal))
                for (int i = 0; i < values.Length; i++) values[i] = (float)(options.InputScale * rng.NextGaussian());
            else Array.Clear(values);
            p.MarkChanged();
        }
    }

    /// <summary>
    /// Trains until the task is solved, the budget is spent or <paramref name="cancel"/> is set; with a
    /// <paramref name="communicator"/> of several processes, data-parallel (each trains its shard of every batch).
    /// </summary>
    public TaskResult Run(Action<TaskProgress>? progress = null, CancellationToken cancel = default, ICommunicator? communicator = null)
    {
        var run = new TrainingRun
        {
            Optimizer = _options.LoopOptimizer,
            GradClip = _options.GradClip,
            Threads = _options.Threads,
            PlannedSteps = _batches.BatchesPerEpoch,
            EvaluateEvery = _options.EvaluateEvery,
            EvaluateAtEpochEnd = false,
            Communicator = communicator ?? SingleProcess.Instance,
        };
        var trainer = new Trainer<TaskBatch>(this, run);
        TaskEvaluation? evaluation = null;
        var summary = trainer.Run(progress is null ? null : new SynchronousProgress<TrainingProgress>(p =>
        {
            if (p.Evaluation is { } e) evaluation = Scores(e);
            progress(new TaskProgress(p.Step, _sequences, _options.MaxSequences, p.TrainLoss, p.Evaluation is null ? null : evaluation,
                p.TokensPerSecond, p.ElapsedSeconds));
        }), cancel);
        var last = summary.Last is { } l ? Scores(l) : null;
        return new TaskResult(last?.Solved ?? false, summary.Step, _sequences, last, summary.TrainLoss, summary.ElapsedSeconds, summary.Interrupted);
    }

    /// <inheritdoc/>
    public override IModule Model => Network;
    /// <inheritdoc/>
    public override IBatchSource<TaskBatch> Batches => _batches;

    /// <inheritdoc/>
    public override void Attach(Optimizer optimizer, TrainingRun run) =>
        _update = new WeightUpdate(optimizer, [.. Network.NamedParameters().Select(p => p.Parameter)], (float)run.GradClip);

    /// <inheritdoc/>
    public override BatchLoss TrainBatch(TaskBatch batch) => _narx is null
        ? new(_learner.ComputeGradients(Tagger, batch, _update!), batch.BatchSize, _learner.UpdatesWeights)
        : new(NarxGradients(_narx, batch), batch.BatchSize, WeightsUpdated: false);

    // BPTT through the fed-back outputs over the whole sequence (the targets fed back where teacher forcing has them).
    private double NarxGradients(NarxNetwork narx, TaskBatch batch)
    {
        narx.Training = true;
        var teacher = _options.Narx!.TeacherForcing ? TaskOutputFeedback.Targets(batch) : null;
        var outputs = narx.Forward(batch.Inputs, batch.Lengths, teacher?.Teacher, teacher?.Known);
        if (_dOutputs.Length != outputs.Length) _dOutputs = new float[outputs.Length];
        double loss = batch.Loss(outputs.Data, _dOutputs);
        narx.Backward(_dOutputs);
        return loss;
    }

    /// <summary>With exact BPTT only: a learner that updates the weights during a batch, or truncates it, cannot share the batch.</summary>
    public override void RequireShards()
    {
        SettingException.Require(_narx is null, "Cell",
            $"A {_options.ModelName} network cannot train data-parallel yet; use a recurrent stack (Cell lstm, gru, rnn) with Distributed.", "Distributed");
        SettingException.Require(_learner is BpttLearner, "Learner",
            $"Learner {_learner.Name} cannot train data-parallel (it updates the weights during a batch or truncates it); use Learner bptt with Distributed.", "Distributed");
    }

    /// <summary>
    /// This process's sequences of the batch, scored term by term (<see cref="TaskBatch.TryStepLoss"/>, each term
    /// divided by the whole batch's count), then brought to the shard's own mean.
    /// </summary>
    public override ShardLoss TrainShard(TaskBatch batch, BatchShard shard)
    {
        var (start, end) = shard.Rows(batch.BatchSize);
        int B = batch.BatchSize, b = end - start, T = batch.Steps, F = batch.Inputs.Dim(2);
        if (b == 0) return ShardLoss.Empty;
        var inputs = new Tensor(T, b, F); // [T, b, F] this shard's columns of [T, B, F]
        for (int t = 0; t < T; t++) batch.Inputs.Data.AsSpan((t * B + start) * F, b * F).CopyTo(inputs.Data.AsSpan(t * b * F, b * F));
        Tagger.Training = true;
        var outputs = Tagger.Forward(inputs, batch.Lengths[start..end]); // [T, b, K]
        int K = outputs.Length / (T * b);
        var dOutputs = new float[outputs.Length];
        double sum = 0;
        int scored = 0;
        for (int t = 0; t < T; t++)
            for (int j = 0; j < b; j++)
                if (batch.TryStepLoss(t, start + j, outputs.Data.AsSpan((t * b + j) * K, K), dOutputs.AsSpan((t * b + j) * K, K), out double term))
                {
                    sum += term;
                    scored++;
                }
        if (scored == 0) return ShardLoss.Empty;
        // The terms are of the batch's mean; scaled by N / n they are of the shard's mean, as the loop expects.
        float toShardMean = (float)batch.ScoredCount / scored;
        for (int i = 0; i < dOutputs.Length; i++) dOutputs[i] *= toShardMean;
        Tagger.Backward(dOutputs);
        return new ShardLoss(sum * batch.ScoredCount / scored, scored, (long)b);
    }

    /// <inheritdoc/>
    public override Evaluation Evaluate()
    {
        var result = Check();
        return new Evaluation
        {
            Metrics = double.IsNaN(result.TestLoss)
                ? new JsonObject { ["test_wrong"] = result.Wrong, ["test_checked"] = result.Tested }
                : new JsonObject { ["test_wrong"] = result.Wrong, ["test_checked"] = result.Tested, ["test_loss"] = result.TestLoss },
            Score = [result.Solved ? 1 : 0, -result.Wrong],
            Summary = $"test: {result}",
            Done = result.Solved,
        };
    }

    private TaskEvaluation Scores(Evaluation e) =>
        new(e.Metrics["test_wrong"]!.GetValue<int>(), e.Metrics["test_checked"]!.GetValue<int>(), Task.TestSequences, Task.AllowedWrong,
            e.Metrics["test_loss"]?.GetValue<double>() ?? double.NaN);

    /// <summary>Checks the test sequences, batch by batch, until more than the allowed number are wrong.</summary>
    public TaskEvaluation Check()
    {
        bool wasTraining = Network.Training;
        Network.Training = false;
        int wrong = 0, tested = 0;
        double lossSum = 0;
        foreach (var batch in Task.TestBatches(_options.BatchSize))
        {
            if (_correct.Length < batch.BatchSize) _correct = new bool[batch.BatchSize];
            var outputs = Network.Forward(batch.Inputs, batch.Lengths);
            if (Task.TestLossName is not null) lossSum += batch.Loss(outputs.Data, new float[outputs.Length]) * batch.BatchSize;
            var correct = _correct.AsSpan(0, batch.BatchSize);
            batch.Judge(outputs.Data, correct);
            foreach (bool ok in correct) if (!ok) wrong++;
            tested += batch.BatchSize;
            if (wrong > Task.AllowedWrong) break;
        }
        Network.Training = wasTraining;
        return new TaskEvaluation(wrong, tested, Task.TestSequences, Task.AllowedWrong,
            Task.TestLossName is null || tested == 0 ? double.NaN : lossSum / tested);
    }
}
