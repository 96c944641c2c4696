using Carousel.Layers.Recurrent;

namespace Carousel.Experiments.Tasks;

/// <summary>What <see cref="LongLagExperiment"/> runs: the cells, the lengths and the training options of every run.</summary>
/// <param name="Cells">The cells compared, each trained at every length.</param>
/// <param name="Lengths">The task lengths T, shortest first, each run from fresh weights.</param>
/// <param name="Training">Options of each run (hidden size, optimizer, budget...); its cell is replaced by each of <paramref name="Cells"/>.</param>
/// <param name="Task">The task's name in <see cref="TaskCatalog"/>; it must have a length parameter.</param>
/// <param name="MaxSecondsPerRun">Wall-clock cap of one run (0: none), on top of the sequence budget.</param>
/// <param name="StopCellAtFirstFailure">
/// Once a cell fails at some T, skip its longer T: a lag it cannot bridge does not get easier when it grows,
/// and the failing runs are the ones that spend the whole budget.
/// </param>
public sealed record LongLagOptions(
    IReadOnlyList<CellKind> Cells,
    IReadOnlyList<int> Lengths,
    TaskTrainingOptions Training,
    string Task = "adding",
    double MaxSecondsPerRun = 0,
    bool StopCellAtFirstFailure = true);

/// <summary>One (cell, T) of the table. <see cref="Skipped"/> rows were not run.</summary>
/// <param name="Cell">The cell trained.</param>
/// <param name="Length">The task length T.</param>
/// <param name="Solved">Whether the run met the task's criterion within its budget.</param>
/// <param name="Skipped">Whether the run was left out: after a failure at a shorter T, or interrupted.</param>
/// <param name="Note">Why an unsolved row failed or was skipped; empty when solved.</param>
/// <param name="Sequences">Training sequences presented.</param>
/// <param name="Steps">Training batches (weight updates).</param>
/// <param name="Evaluation">The last check on the test sequences, or null when none was made.</param>
/// <param name="TrainLoss">Training loss at the end of the run (NaN for skipped rows).</param>
/// <param name="Seconds">Wall-clock time of the run.</param>
public sealed record LongLagRow(CellKind Cell, int Length, bool Solved, bool Skipped, string Note, long Sequences, long Steps,
    TaskEvaluation? Evaluation, double TrainLoss, double Seconds);

/// <summary>
/// The long-time-lag table: each cell trained on the adding problem (or another task with a length) at each
/// T, from fresh weights, until solved by the 1997 criterion (at most 3 wrong of 2,560 fresh test sequences)
/// or out of budget. Shows where a vanilla RNN stops and an LSTM keeps going.
/// </summary>
public static class LongLagExperiment
{
    /// <summary>The 1997 paper's lengths for the adding problem (100, 500, 1000) with 50 and 200 between.</summary>
    public static readonly int[] DefaultLengths = [50, 100, 200, 500, 1000];

    /// <summary>
    /// The default budget of one run: about five times what a 64-unit LSTM with chrono initialisation needs at
    /// T = 1000 (about 40,000 sequences, measured), and a quarter of what the 1997 paper's LSTM took there. Every
    /// cell gets the same, so a cell that fails has had ample chance.
    /// </summary>
    public const long DefaultMaxSequences = 200_000;

    /// <summary>Trains every cell at every length, cell by cell, shortest first; returns the rows of the table in that order.</summary>
    /// <param name="options">The cells, lengths, task and training options.</param>
    /// <param name="runStarting">Called before each run with its trainer (to show progress); returns the progress callback of the run, or null.</param>
    /// <param name="rowDone">Called after each row, skipped ones included.</param>
    /// <param name="cancel">Stops the current run; the rows left are reported as interrupted.</param>
    public static IReadOnlyList<LongLagRow> Run(LongLagOptions options,
        Func<TaskTrainer, Action<TaskProgress>?>? runStarting = null, Action<LongLagRow>? rowDone = null, CancellationToken cancel = default)
    {
        SettingException.Require(options.Cells.Count > 0, "Cells", "Cells must name at least one cell.");
        SettingException.Require(options.Lengths.Count > 0, "Lengths", "Lengths must name at least one length.");
        SettingException.Require(options.MaxSecondsPerRun >= 0, "MaxSecondsPerRun", $"MaxSecondsPerRun must be ≥ 0, got {options.MaxSecondsPerRun}.");
        foreach (int length in options.Lengths) TaskCatalog.Create(options.Task, length, options.Training.Seed); // bad lengths fail before any run
        options.Training.Validate();

        var rows = new List<LongLagRow>();
        foreach (var cell in options.Cells)
        {
            int? failedAt = null;
            foreach (int length in options.Lengths)
            {
                LongLagRow row;
                if (cancel.IsCancellationRequested)
                {
                    row = Skip(cell, length, "interrupted");
                }
                else if (failedAt is int shorter && options.StopCellAtFirstFailure && length > shorter)
                {
                    row = Skip(cell, length, $"skipped: not solved at T = {shorter}");
                }
                else
                {
                    row = RunOne(options, cell, length, runStarting, cancel);
                    if (!row.Solved) failedAt = failedAt is int f ? Math.Min(f, length) : length;
                }
                rows.Add(row);
                rowDone?.Invoke(row);
            }
        }
        return rows;
    }

    private static LongLagRow RunOne(LongLagOptions options, CellKind cell, int length,
        Func<TaskTrainer, Action<TaskProgress>?>? runStarting, CancellationToken cancel)
    {
        var task = TaskCatalog.Create(options.Task, length, options.Training.Seed);
        var trainer = new TaskTrainer(task, options.Training with { Cell = cell });
        var progress = runStarting?.Invoke(trainer);
        using var timeBudget = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        // A budget longer than a timer can count (about 49 days) is no budget.
        if (options.MaxSecondsPerRun > 0 && options.MaxSecondsPerRun * 1000 < uint.MaxValue - 1) timeBudget.CancelAfter(TimeSpan.FromSeconds(options.MaxSecondsPerRun));
        var result = trainer.Run(progress, timeBudget.Token);
        string note = result.Solved ? "" :
            cancel.IsCancellationRequested ? "interrupted" :
            result.Interrupted ? $"time budget ({options.MaxSecondsPerRun:0} s) spent" :
            "sequence budget spent";
        return new LongLagRow(cell, length, result.Solved, Skipped: false, note, result.Sequences, result.Steps,
            result.LastEvaluation, result.TrainLoss, result.ElapsedSeconds);
    }

    private static LongLagRow Skip(CellKind cell, int length, string note) =>
        new(cell, length, Solved: false, Skipped: true, note, 0, 0, null, double.NaN, 0);
}
