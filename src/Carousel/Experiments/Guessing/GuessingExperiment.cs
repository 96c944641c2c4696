using Carousel.Experiments.Tasks;

namespace Carousel.Experiments.Guessing;

/// <summary>One seed of a guessing table: the seed and its run.</summary>
/// <param name="Seed">Seeds the training sequences and the guesses.</param>
/// <param name="Result">The run.</param>
public sealed record GuessingRow(int Seed, GuessResult Result);

/// <summary>Trials over the seeds that solved the task: how many did, and the mean, spread and range of their trials.</summary>
/// <param name="Runs">Seeds run.</param>
/// <param name="Solved">Seeds that found a solution within the budget.</param>
/// <param name="Mean">Mean trials of the solved seeds (NaN when none).</param>
/// <param name="StandardDeviation">Sample standard deviation of their trials (NaN for fewer than 2).</param>
/// <param name="Median">Median of their trials (NaN when none).</param>
/// <param name="Min">Fewest trials (0 when none).</param>
/// <param name="Max">Most trials (0 when none).</param>
/// <param name="TestWrongMean">Mean wrong test sequences of the solutions (NaN when none).</param>
public sealed record GuessingSummary(int Runs, int Solved, double Mean, double StandardDeviation, double Median, long Min, long Max, double TestWrongMean)
{
    /// <summary>The summary of <paramref name="rows"/>.</summary>
    public static GuessingSummary Of(IReadOnlyList<GuessingRow> rows)
    {
        var trials = rows.Where(r => r.Result.Solved).Select(r => (double)r.Result.Trials).Order().ToArray();
        int n = trials.Length;
        double mean = n > 0 ? trials.Average() : double.NaN;
        double sd = n > 1 ? Math.Sqrt(trials.Sum(t => (t - mean) * (t - mean)) / (n - 1)) : double.NaN;
        double median = n == 0 ? double.NaN : n % 2 == 1 ? trials[n / 2] : (trials[n / 2 - 1] + trials[n / 2]) / 2;
        double testWrong = n > 0 ? rows.Where(r => r.Result.Solved).Average(r => (double)r.Result.TestWrong!.Value) : double.NaN;
        return new GuessingSummary(rows.Count, n, mean, sd, median, n > 0 ? (long)trials[0] : 0, n > 0 ? (long)trials[^1] : 0, testWrong);
    }
}

/// <summary>
/// The guessing papers' tables: random weight guessing on a task for each of several seeds (each seed its own training and
/// test sequences and its own guesses), summarised as the mean and spread of the trials to a solution.
/// </summary>
public static class GuessingExperiment
{
    /// <summary>Runs <paramref name="seeds"/> one after the other; seed s replaces <see cref="GuessingOptions.Seed"/>.</summary>
    /// <param name="task">The task's name in <see cref="TaskCatalog"/>.</param>
    /// <param name="length">The task's length, or null for its default.</param>
    /// <param name="options">The guessing settings shared by every seed.</param>
    /// <param name="seeds">The seeds.</param>
    /// <param name="rowDone">Called after each seed.</param>
    /// <param name="cancel">Stops the current run; the seeds left are not run.</param>
    public static IReadOnlyList<GuessingRow> Run(string task, int? length, GuessingOptions options, IReadOnlyList<int> seeds,
        Action<GuessingRow>? rowDone = null, CancellationToken cancel = default)
    {
        SettingException.Require(seeds.Count > 0, "Seeds", "Seeds must name at least one seed.");
        options.Validate();
        _ = new WeightGuessing(TaskCatalog.Create(task, length, seeds[0]), options with { Seed = seeds[0], MaxTrials = 1 }); // bad settings fail before any run
        var rows = new List<GuessingRow>();
        foreach (int seed in seeds)
        {
            if (cancel.IsCancellationRequested) break;
            var guesser = new WeightGuessing(TaskCatalog.Create(task, length, seed), options with { Seed = seed });
            var row = new GuessingRow(seed, guesser.Run(cancel: cancel));
            rows.Add(row);
            rowDone?.Invoke(row);
        }
        return rows;
    }
}
