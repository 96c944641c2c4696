using System.Text.Json.Nodes;
using Carousel.Experiments.Tasks;
using Carousel.Layers;
using Carousel.Optimizers;
using Carousel.Tensors;
using Carousel.Training;

namespace Carousel.Experiments.Guessing;

/// <summary>
/// Random weight guessing as a learner (Hochreiter &amp; Schmidhuber 1996; Schmidhuber, Hochreiter &amp; Bengio 2001):
/// REPEAT draw every free weight of a <see cref="FullyRecurrentNet"/> uniformly from [−r, r] UNTIL the net gets every one of a
/// fixed set of training sequences right by the task's own criterion; then judge it on the task's fresh test sequences. Runs in
/// the one training loop (<see cref="Trainer{TBatch}"/>): each step is one guess, which sets the weights itself (no optimizer
/// step), and the run is finished at the first guess that gets all training sequences right.
/// </summary>
public sealed class WeightGuessing : InMemoryTrainable<long>
{
    private readonly GuessingOptions _options;
    private readonly TaskBatch[] _training;
    private readonly GeneratedBatches<long> _trials;
    private readonly Rng _rng;
    private long _trial;
    private bool _allRight;
    private bool[] _correct = [];

    /// <summary>A guesser for <paramref name="task"/>: its net and its fixed training sequences, ready to <see cref="Run"/>.</summary>
    public WeightGuessing(SequenceTask task, GuessingOptions options)
    {
        options.Validate();
        _options = options;
        Task = task;
        string architecture = options.Architecture.Length > 0 ? options.Architecture : GuessingNets.DefaultFor(task.Name);
        Net = GuessingNets.Create(architecture, task, options.Hidden ?? GuessingNets.DefaultHidden(architecture));
        Architecture = architecture;
        var training = new List<TaskBatch>();
        for (int first = 0; first < options.TrainingSequences; first += options.Chunk)
            training.Add(task.NextTrainingBatch(Math.Min(options.Chunk, options.TrainingSequences - first)));
        _training = [.. training];
        _rng = new Rng((ulong)options.Seed);
        _trials = new GeneratedBatches<long>(() => ++_trial, options.MaxTrials);
    }

    /// <summary>The task guessed for.</summary>
    public SequenceTask Task { get; }
    /// <summary>The net whose weights are guessed.</summary>
    public FullyRecurrentNet Net { get; }
    /// <summary>The architecture's name (<see cref="GuessingNets.Names"/>).</summary>
    public string Architecture { get; }
    /// <summary>The fixed training sequences, in groups of <see cref="GuessingOptions.Chunk"/>.</summary>
    public IReadOnlyList<TaskBatch> TrainingBatches => _training;

    /// <summary>Guesses until every training sequence is right or <see cref="GuessingOptions.MaxTrials"/> guesses are spent.</summary>
    /// <param name="afterTrial">Called after each guess with the guesses so far (to show progress).</param>
    /// <param name="cancel">Stops the search.</param>
    public GuessResult Run(Action<long>? afterTrial = null, CancellationToken cancel = default)
    {
        var run = new TrainingRun
        {
            Optimizer = new OptimizerSettings("sgd", 1f), // never steps: every guess sets the weights itself
            PlannedSteps = _options.MaxTrials,
            EvaluateAtEpochEnd = false,
            StopOnDivergence = false,
        };
        var summary = new Trainer<long>(this, run).Run(afterTrial is null ? null : new SynchronousProgress<TrainingProgress>(p => afterTrial(p.Step)), cancel);
        int? testWrong = _allRight ? summary.Last?.Metrics["test_wrong"]!.GetValue<int>() : null;
        return new GuessResult(_allRight, summary.Step, testWrong, Task.TestSequences, Net.FreeCount, summary.ElapsedSeconds, summary.Interrupted);
    }

    /// <inheritdoc/>
    public override IModule Model => Net;
    /// <inheritdoc/>
    public override IBatchSource<long> Batches => _trials;

    /// <summary>Draws the next guess into the net's free weights.</summary>
    public void Guess()
    {
        float r = _options.Range;
        var parameters = Net.NamedParameters();
        for (int p = 0; p < parameters.Count; p++)
        {
            var values = parameters[p].Parameter.Value.Data;
            var free = Net.Free[p];
            for (int i = 0; i < values.Length; i++)
                if (free[i]) values[i] = _rng.Uniform(-r, r);
            parameters[p].Parameter.MarkChanged();
        }
    }

    /// <summary>
    /// One guess: new weights, then the training sequences group by group until one is wrong. The loss is the share of
    /// training sequences not shown right (1 − right before the first wrong group / all), 0 when every one is right.
    /// </summary>
    public override BatchLoss TrainBatch(long trial)
    {
        Guess();
        int right = 0;
        long steps = 0;
        _allRight = true;
        foreach (var batch in _training)
        {
            steps += batch.Lengths.Sum();
            if (!AllRight(batch)) { _allRight = false; break; }
            right += batch.BatchSize;
        }
        return new BatchLoss(1.0 - (double)right / _options.TrainingSequences, steps, WeightsUpdated: true);
    }

    /// <inheritdoc/>
    public override bool Finished => _allRight;

    /// <inheritdoc/>
    public override bool WantsEvaluation(long step) => _allRight;

    /// <summary>The test sequences, judged by the net of the last guess.</summary>
    public override Evaluation Evaluate()
    {
        int wrong = 0;
        foreach (var batch in Task.TestBatches(_options.Chunk)) wrong += Wrong(batch);
        return new Evaluation
        {
            Metrics = new JsonObject { ["test_wrong"] = wrong },
            Score = [_allRight ? 1 : 0, -wrong],
            Summary = $"test: {wrong} wrong of {Task.TestSequences}",
            Done = _allRight,
        };
    }

    /// <summary>Whether the net as it stands gets every sequence of <paramref name="batch"/> right by the task's criterion.</summary>
    public bool AllRight(TaskBatch batch) => Wrong(batch, stopAtFirst: true) == 0;

    private int Wrong(TaskBatch batch, bool stopAtFirst = false)
    {
        if (_correct.Length < batch.BatchSize) _correct = new bool[batch.BatchSize];
        var correct = _correct.AsSpan(0, batch.BatchSize);
        batch.Judge(Net.Forward(batch.Inputs, batch.Lengths).Data, correct);
        int wrong = 0;
        foreach (bool ok in correct)
            if (!ok) { wrong++; if (stopAtFirst) break; }
        return wrong;
    }
}
