using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Carousel.Diagnostics;
using Carousel.IO;
using Carousel.Models;
using Carousel.Experiments;

namespace Carousel.Cli.Commands;

/// <summary>`carousel esn mackey-glass|narma10`: echo state networks on the standard reservoir benchmarks.</summary>
internal static class EsnCommands
{
    public static Command Create() => new("esn",
        "Echo state networks (Jaeger 2001): a fixed random leaky-tanh reservoir with a ridge-regression readout, on Mackey-Glass and NARMA-10.")
    {
        MackeyGlass(),
        Narma10(),
    };

    /// <summary>The reservoir's options, with defaults per benchmark.</summary>
    private sealed class ReservoirOptions
    {
        public readonly Option<int> Units, Seed, Seeds;
        public readonly Option<double> SpectralRadius, LeakRate, InputScaling, BiasScaling, Connectivity, InputConnectivity, Ridge;
        public readonly Option<bool> ReadoutInput, Json;
        public readonly Option<string?> Csv;

        public ReservoirOptions(EchoStateOptions d)
        {
            Units = new Option<int>("--units") { Description = "Reservoir units.", DefaultValueFactory = _ => d.Units };
            SpectralRadius = new Option<double>("--spectral-radius") { Description = "Largest |eigenvalue| of the reservoir matrix W after scaling.", DefaultValueFactory = _ => d.SpectralRadius };
            LeakRate = new Option<double>("--leak-rate") { Description = "a in x ← (1 − a)·x + a·tanh(W_in·[1; u] + W·x); 1 is no leak.", DefaultValueFactory = _ => d.LeakRate };
            InputScaling = new Option<double>("--input-scaling") { Description = "Input weights are ±this.", DefaultValueFactory = _ => d.InputScaling };
            BiasScaling = new Option<double>("--bias-scaling") { Description = "Bias weights are ±this.", DefaultValueFactory = _ => d.BiasScaling };
            Connectivity = new Option<double>("--connectivity") { Description = "Share of non-zero entries of W.", DefaultValueFactory = _ => d.Connectivity };
            InputConnectivity = new Option<double>("--input-connectivity") { Description = "Share of non-zero input weights and biases.", DefaultValueFactory = _ => d.InputConnectivity };
            Ridge = new Option<double>("--ridge") { Description = "Ridge (L2) penalty of the readout's regression.", DefaultValueFactory = _ => d.Ridge };
            ReadoutInput = new Option<bool>("--readout-input") { Description = "The readout also reads the input: [1; u; x] instead of [1; x]." };
            Seed = new Option<int>("--seed") { Description = "Seed of the (first) reservoir.", DefaultValueFactory = _ => d.Seed };
            Seeds = new Option<int>("--seeds") { Description = "Number of reservoirs (seeds seed, seed+1, …); figures are reported as mean ± standard deviation, median, min and max.", DefaultValueFactory = _ => 1 };
            Json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
            Csv = new Option<string?>("--csv") { Description = "Write step, target and predictions of the first reservoir to this CSV file (atomically)." };
        }

        public void AddTo(Command command)
        {
            foreach (Option o in new Option[] { Units, SpectralRadius, LeakRate, InputScaling, BiasScaling, Connectivity, InputConnectivity, Ridge, ReadoutInput, Seed, Seeds, Json, Csv })
                command.Options.Add(o);
        }

        public (EchoStateOptions Options, int Seeds) Parse(ParseResult parse)
        {
            var options = new EchoStateOptions(parse.GetValue(Units), parse.GetValue(SpectralRadius), parse.GetValue(LeakRate),
                parse.GetValue(InputScaling), parse.GetValue(BiasScaling), parse.GetValue(Connectivity), parse.GetValue(InputConnectivity),
                parse.GetValue(Ridge), parse.GetValue(ReadoutInput), parse.GetValue(Seed));
            options.Validate();
            int seeds = parse.GetValue(Seeds);
            if (seeds is < 1 or > 1000) throw new UsageException($"--seeds must be 1 to 1000, got {seeds}.");
            // Refuse a CSV path that cannot be written before the work, not after it.
            if (parse.GetValue(Csv) is { } csv && !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(csv))))
                throw new UsageException($"--csv: the directory of '{csv}' does not exist.");
            return (options, seeds);
        }
    }

    private static Command MackeyGlass()
    {
        var p = new MackeyGlassProtocol();
        var reservoir = new ReservoirOptions(new EchoStateOptions());
        var length = new Option<int>("--length") { Description = "Samples of the Mackey-Glass series.", DefaultValueFactory = _ => p.SeriesLength };
        var train = new Option<int>("--train") { Description = "Leading samples the readout is fitted on (one step ahead).", DefaultValueFactory = _ => p.TrainLength };
        var washout = new Option<int>("--washout") { Description = "Training steps dropped before fitting.", DefaultValueFactory = _ => p.Washout };
        var tau = new Option<int>("--tau") { Description = "Delay τ of the equation.", DefaultValueFactory = _ => p.Tau };
        var seriesSeed = new Option<int>("--series-seed") { Description = "Seed of the series' initial history.", DefaultValueFactory = _ => p.SeriesSeed };
        var tolerance = new Option<double>("--tolerance") { Description = "Free-run horizon: steps until |error| exceeds this many standard deviations of the test targets.", DefaultValueFactory = _ => p.Tolerance };
        var command = new Command("mackey-glass",
            "ReservoirPy's quick-start: Mackey-Glass (τ = 17) one step ahead — fit on the first 500 samples, run over the rest; prints RMSE, NRMSE, R², " +
            "and the free run (outputs fed back as inputs): NRMSE over its first 100 and 500 steps and its horizon.")
        {
            length, train, washout, tau, seriesSeed, tolerance,
        };
        reservoir.AddTo(command);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var (options, seeds) = reservoir.Parse(parse);
            var protocol = new MackeyGlassProtocol(parse.GetValue(length), parse.GetValue(train), parse.GetValue(washout),
                parse.GetValue(tau) is >= 1 and var t ? t : throw new UsageException("--tau must be at least 1."),
                parse.GetValue(seriesSeed), parse.GetValue(tolerance));
            var results = Enumerable.Range(0, seeds).Select(i => EchoStateExperiments.MackeyGlass(options with { Seed = options.Seed + i }, protocol)).ToList();
            if (parse.GetValue(reservoir.Csv) is { } csv)
            {
                var r = results[0];
                var sb = new StringBuilder("step,target,teacher_forced,free_run\n");
                for (int s = r.FreeRunStart; s < r.FreeRunStart + r.FreeRun.Length; s++)
                {
                    int i = s - r.TestStart;
                    string forced = i >= 0 ? Number(r.Predictions[i]) : "";
                    double target = i >= 0 ? r.Targets[i] : double.NaN;
                    sb.Append(CultureInfo.InvariantCulture, $"{s},{(i >= 0 ? Number(target) : "")},{forced},{Number(r.FreeRun[s - r.FreeRunStart])}\n");
                }
                AtomicFile.WriteAllText(csv, sb.ToString());
            }
            Report(parse.GetValue(reservoir.Json), "mackey-glass", options, seeds,
                [
                    ("rmse", results.Select(r => r.TeacherForced.Rmse)),
                    ("nrmse", results.Select(r => r.TeacherForced.Nrmse)),
                    ("r2", results.Select(r => r.TeacherForced.RSquared)),
                    ("free_run_nrmse_100", results.Select(r => r.FreeRun100.Nrmse)),
                    ("free_run_nrmse_500", results.Select(r => r.FreeRun500.Nrmse)),
                    ("free_run_horizon", results.Select(r => (double)r.FreeRunHorizon)),
                ]);
            return 0;
        }));
        return command;
    }

    private static Command Narma10()
    {
        var p = new NarmaProtocol();
        var reservoir = new ReservoirOptions(EchoStateExperiments.NarmaDefaults);
        var washout = new Option<int>("--washout") { Description = "Training steps dropped before fitting.", DefaultValueFactory = _ => p.Washout };
        var train = new Option<int>("--train") { Description = "Training steps fitted.", DefaultValueFactory = _ => p.TrainLength };
        var test = new Option<int>("--test") { Description = "Steps scored after training.", DefaultValueFactory = _ => p.TestLength };
        var seriesSeed = new Option<int>("--series-seed") { Description = "Seed of the uniform inputs in [0, 0.5].", DefaultValueFactory = _ => p.SeriesSeed };
        var command = new Command("narma10",
            "NARMA-10: from inputs u(t) uniform in [0, 0.5], produce y(t+1) = 0.3·y(t) + 0.05·y(t)·Σ_{i<10} y(t−i) + 1.5·u(t−9)·u(t) + 0.1. " +
            "Prints RMSE, NRMSE and R² over the test steps.")
        {
            washout, train, test, seriesSeed,
        };
        reservoir.AddTo(command);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var (options, seeds) = reservoir.Parse(parse);
            var protocol = new NarmaProtocol(parse.GetValue(washout), parse.GetValue(train), parse.GetValue(test), parse.GetValue(seriesSeed));
            var results = Enumerable.Range(0, seeds).Select(i => EchoStateExperiments.Narma10(options with { Seed = options.Seed + i }, protocol)).ToList();
            if (parse.GetValue(reservoir.Csv) is { } csv)
            {
                var r = results[0];
                var sb = new StringBuilder("step,target,prediction\n");
                for (int i = 0; i < r.Targets.Length; i++) sb.Append(CultureInfo.InvariantCulture, $"{r.TestStart + i},{Number(r.Targets[i])},{Number(r.Predictions[i])}\n");
                AtomicFile.WriteAllText(csv, sb.ToString());
            }
            Report(parse.GetValue(reservoir.Json), "narma10", options, seeds,
                [
                    ("rmse", results.Select(r => r.Test.Rmse)),
                    ("nrmse", results.Select(r => r.Test.Nrmse)),
                    ("r2", results.Select(r => r.Test.RSquared)),
                ]);
            return 0;
        }));
        return command;
    }

    /// <summary>An error (NRMSE) above this counts as a diverged run, kept out of the statistics.</summary>
    private const double DivergedError = 1e6;

    private static void Report(bool json, string task, EchoStateOptions options, int seeds, (string Name, IEnumerable<double> Values)[] figures)
    {
        // A free run that diverges has an infinite error, or one so large (above DivergedError, a million times the signal's
        // spread) that it has left the signal for good: it is counted, and the statistics are over the other runs only.
        var summary = figures.Select(f =>
        {
            var all = f.Values.ToArray();
            var v = all.Where(x => double.IsFinite(x) && Math.Abs(x) <= DivergedError).Order().ToArray();
            int diverged = all.Length - v.Length;
            if (v.Length == 0) return (f.Name, Mean: double.NaN, Std: double.NaN, Median: double.NaN, Min: double.NaN, Max: double.NaN, Diverged: diverged, Values: all);
            double mean = v.Average();
            double std = Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Sum() / v.Length);
            double median = v.Length % 2 == 1 ? v[v.Length / 2] : 0.5 * (v[v.Length / 2 - 1] + v[v.Length / 2]);
            return (f.Name, Mean: mean, Std: std, Median: median, Min: v[0], Max: v[^1], Diverged: diverged, Values: all);
        }).ToArray();
        if (json)
        {
            var result = new Dictionary<string, object> { ["task"] = task, ["seeds"] = seeds, ["options"] = options };
            foreach (var s in summary) result[s.Name] = new { mean = s.Mean, std = s.Std, median = s.Median, min = s.Min, max = s.Max, diverged = s.Diverged, values = s.Values };
            Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
            return;
        }
        Console.WriteLine($"{task}: {options.Units} units, spectral radius {options.SpectralRadius}, leak rate {options.LeakRate}, input scaling {options.InputScaling}, " +
                          $"bias scaling {options.BiasScaling}, connectivity {options.Connectivity}/{options.InputConnectivity}, ridge {options.Ridge}" +
                          (options.ReadoutSeesInput ? ", readout [1; u; x]" : "") + $"; {(seeds == 1 ? $"seed {options.Seed}" : $"{seeds} seeds from {options.Seed}")}");
        foreach (var s in summary)
            Console.WriteLine((seeds == 1 ? $"  {s.Name,-20} {Format(s.Values[0])}" : $"  {s.Name,-20} {Format(s.Mean)} ± {Format(s.Std)}   (median {Format(s.Median)}, min {Format(s.Min)}, max {Format(s.Max)})")
                + (s.Diverged > 0 && seeds > 1 ? $"   diverged in {s.Diverged} of {seeds} runs (error infinite or above 1E+06; not in the statistics)" : ""));
    }

    private static string Format(double v) => v.ToString(Math.Abs(v) >= 1e6 ? "G4" : Math.Abs(v) >= 1000 || v == Math.Floor(v) && Math.Abs(v) >= 1 ? "F0" : "G5", CultureInfo.InvariantCulture);

    private static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
