using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Carousel.Experiments.Guessing;
using Carousel.Experiments.Tasks;

namespace Carousel.Cli.Commands;

/// <summary>`carousel guess TASK`: random weight guessing over several seeds, the guessing papers' tables.</summary>
internal static class GuessCommand
{
    public static Command Create()
    {
        var defaults = new GuessingOptions();
        var taskName = new Argument<string>("task") { Description = "Task name (see `carousel task list`): latch, latch-1, two-sequence, parity, adding, temporal-order, ..." };
        var variant = new Option<int?>("--variant") { Description = "For latch: 1 (free first inputs, the task latch-1) or 2 (first input ±1, the task latch)." };
        var length = TaskCommands.LengthOption();
        var architecture = new Option<string?>("--architecture", "--arch") { Description = "unit (the latch problems' single tanh unit), a1 (fully connected) or a2 (sparser); default: unit for latch, a1 otherwise." };
        var hidden = new Option<int?>("--hidden") { Description = "Hidden units of a1/a2 (default: 1 for a1, 10 for a2)." };
        var range = new Option<float>("--range") { Description = "Every free weight is drawn uniformly from [−r, r].", DefaultValueFactory = _ => defaults.Range };
        var maxTrials = new Option<long>("--max-trials") { Description = "Give up a seed after this many guesses.", DefaultValueFactory = _ => defaults.MaxTrials };
        var trainingSequences = new Option<int>("--training-sequences") { Description = "Fixed training sequences every guess must get right (half of each class).", DefaultValueFactory = _ => defaults.TrainingSequences };
        var seeds = new Option<int>("--seeds") { Description = "Number of runs, seeds --seed .. --seed + N − 1.", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "The first seed (training sequences and guesses; test sequences use an independent stream).", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print only a JSON summary line at the end." };
        var command = new Command("guess",
            "Random weight guessing (Hochreiter & Schmidhuber 1996): draw all weights uniformly from [−r, r] until the net gets every training sequence " +
            "right by the task's criterion; count the guesses. Prints each seed and the mean ± sd of the trials. Exits 0 when every seed solved the task, 1 otherwise.")
        {
            taskName, variant, length, architecture, hidden, range, maxTrials, trainingSequences, seeds, seed, json,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            string name = parse.GetValue(taskName)!;
            if (parse.GetValue(variant) is int v)
            {
                if (name is not ("latch" or "latch-1")) throw new UsageException($"--variant is for the latch problem only, not '{name}'.");
                name = v switch { 1 => "latch-1", 2 => "latch", _ => throw new UsageException($"--variant must be 1 or 2, got {v}.") };
            }
            int runs = parse.GetValue(seeds);
            if (runs < 1) throw new UsageException($"--seeds must be at least 1, got {runs}.");
            int first = parse.GetValue(seed);
            if ((long)first + runs - 1 > int.MaxValue) throw new UsageException($"--seed {first} with --seeds {runs} goes past the largest seed {int.MaxValue}.");
            var options = new GuessingOptions
            {
                Architecture = parse.GetValue(architecture) ?? "",
                Hidden = parse.GetValue(hidden),
                Range = parse.GetValue(range),
                MaxTrials = parse.GetValue(maxTrials),
                TrainingSequences = parse.GetValue(trainingSequences),
            };
            int? taskLength = parse.GetValue(length);
            var seedList = Enumerable.Range(first, runs).ToArray();
            bool quiet = parse.GetValue(json);
            var probe = new WeightGuessing(TaskCatalog.Create(name, taskLength, first), options with { Seed = first, MaxTrials = 1 });
            var task = probe.Task;
            string describe = $"{task.Name}{(task.Length is int l ? $" --length {l}" : "")}: architecture {probe.Architecture} " +
                              $"({probe.Net.Hidden} hidden, {probe.Net.Outputs} output unit{(probe.Net.Outputs == 1 ? "" : "s")}, {probe.Net.FreeCount} free weights), " +
                              $"weights uniform in [−{F(options.Range)}, {F(options.Range)}], {options.TrainingSequences} training sequences, " +
                              $"at most {options.MaxTrials:N0} guesses per seed";
            if (!quiet)
            {
                Console.WriteLine(describe + ".");
                Console.WriteLine($"Criterion: {task.Criterion}.");
            }
            using var interrupt = new CtrlCCancellation();
            var rows = GuessingExperiment.Run(name, taskLength, options, seedList, row =>
            {
                if (quiet) return;
                var r = row.Result;
                Console.WriteLine(r.Solved
                    ? $"seed {row.Seed}: solved after {r.Trials:N0} guesses ({r.Seconds:F1} s); test: {r.TestWrong} wrong of {r.TestSequences}"
                    : $"seed {row.Seed}: {(r.Interrupted ? "interrupted" : "not solved")} after {r.Trials:N0} guesses ({r.Seconds:F1} s)");
            }, interrupt.Token);
            var s = GuessingSummary.Of(rows);
            if (quiet)
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["task"] = task.Name,
                    ["length"] = task.Length,
                    ["architecture"] = probe.Architecture,
                    ["hidden"] = probe.Net.Hidden,
                    ["free_weights"] = probe.Net.FreeCount,
                    ["range"] = options.Range,
                    ["training_sequences"] = options.TrainingSequences,
                    ["max_trials"] = options.MaxTrials,
                    ["runs"] = s.Runs,
                    ["solved"] = s.Solved,
                    ["mean_trials"] = Round(s.Mean),
                    ["sd_trials"] = Round(s.StandardDeviation),
                    ["median_trials"] = Round(s.Median),
                    ["min_trials"] = s.Min,
                    ["max_trials_seen"] = s.Max,
                    ["test_wrong_mean"] = Round(s.TestWrongMean),
                    ["trials"] = rows.Select(r => r.Result.Trials).ToArray(),
                    ["seeds_solved"] = rows.Select(r => r.Result.Solved).ToArray(),
                    ["seconds"] = Math.Round(rows.Sum(r => r.Result.Seconds), 1),
                }));
            else
                Console.WriteLine(s.Solved == 0
                    ? $"Solved by {s.Solved} of {s.Runs} seeds within {options.MaxTrials:N0} guesses each."
                    : $"Solved by {s.Solved} of {s.Runs} seeds: trials mean {F(s.Mean, 1)} ± {F(s.StandardDeviation, 1)} (sd), median {F(s.Median, 1)}, " +
                      $"range {s.Min:N0}..{s.Max:N0}; solutions get {F(s.TestWrongMean, 2)} of {task.TestSequences} test sequences wrong on average.");
            return s.Solved == s.Runs ? 0 : CommandRunner.Failure;
        }));
        return command;
    }

    private static double? Round(double x) => double.IsFinite(x) ? Math.Round(x, 2) : null;

    private static string F(double x, int digits = 6) =>
        double.IsFinite(x) ? Math.Round(x, digits).ToString(CultureInfo.InvariantCulture) : "–";
}
