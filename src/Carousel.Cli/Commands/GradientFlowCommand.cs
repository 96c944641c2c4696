using System.CommandLine;
using System.Globalization;
using Carousel.IO;
using Carousel.Layers.Recurrent;
using Carousel.Experiments;

namespace Carousel.Cli.Commands;

/// <summary>`carousel gradient-flow`: ‖∂L_T/∂h_t‖ against the lag for each cell, before and after training, as CSV and an SVG chart.</summary>
internal static class GradientFlowCommand
{
    public static Command Create()
    {
        var defaults = new GradientFlowOptions([CellKind.RnnTanh, CellKind.Lstm, CellKind.Gru]);
        var cells = new Option<string>("--cells") { Description = "Comma-separated cells to compare: " + CellKinds.CliNames + ".", DefaultValueFactory = _ => "rnn,lstm,gru" };
        var problem = new AddingProblemOptions(defaults.Length, defaults.HiddenSize, defaults.BatchSize);
        var trainSteps = new Option<int>("--train-steps") { Description = "Training batches per cell (0: only the profile at initialisation).", DefaultValueFactory = _ => defaults.TrainSteps };
        var lr = new Option<float>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var clip = new Option<double>("--grad-clip") { Description = "Clip the global gradient norm to this while training.", DefaultValueFactory = _ => defaults.ClipNorm };
        var forgetBias = new Option<float>("--forget-bias") { Description = "Initial LSTM forget-gate bias.", DefaultValueFactory = _ => defaults.ForgetGateBias };
        var measureBatch = new Option<int>("--measure-batch") { Description = "Sequences the norms are averaged over.", DefaultValueFactory = _ => defaults.MeasureBatch };
        var seed = new Option<int>("--seed") { Description = "Random seed (weights, training and measurement batches).", DefaultValueFactory = _ => defaults.Seed };
        var outDir = new Option<string>("--out") { Description = "Directory for gradient-flow.csv and gradient-flow.svg.", DefaultValueFactory = _ => "gradient-flow-out" };
        var command = new Command("gradient-flow",
            "Measure how much of the error at the last step reaches each earlier hidden state: the batch mean of ‖∂L_T/∂h_t‖ against the lag " +
            "T−1−t on the adding problem, for each cell at initialisation and after training. Writes a CSV and an SVG chart (log scale).")
        {
            cells, trainSteps, lr, clip, forgetBias, measureBatch, seed, outDir,
        };
        foreach (var o in problem.All) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var options = new GradientFlowOptions(ParseCells(parse.GetValue(cells)!),
                parse.GetValue(problem.Length), parse.GetValue(problem.Hidden), parse.GetValue(problem.BatchSize), parse.GetValue(trainSteps),
                parse.GetValue(lr), parse.GetValue(clip), parse.GetValue(forgetBias), parse.GetValue(measureBatch), Seed: parse.GetValue(seed),
                Threads: problem.ThreadCount(parse));
            options.Validate();
            string dir = parse.GetValue(outDir)!;
            Directory.CreateDirectory(dir);

            using var bar = new ProgressLine();
            var result = GradientFlowExperiment.Run(options, p =>
                bar.Update((double)p.Step / p.TrainSteps, $"{p.Cell.ToCliName()}  step {p.Step,5}/{p.TrainSteps}  loss {p.RecentLoss:F5}"));
            bar.Finish();
            Console.Write(FormatTable(result));
            var (csv, svg) = Save(result, dir);
            Console.WriteLine($"Wrote {csv} and {svg} ({result.Elapsed.TotalSeconds:F1} s).");
            return 0;
        }));
        return command;
    }

    /// <summary>Writes DIR/gradient-flow.csv and DIR/gradient-flow.svg atomically; returns their paths.</summary>
    internal static (string Csv, string Svg) Save(GradientFlowResult result, string dir)
    {
        string csv = Path.Combine(dir, "gradient-flow.csv"), svg = Path.Combine(dir, "gradient-flow.svg");
        AtomicFile.WriteAllText(csv, result.ToCsv());
        result.ToChart().Save(svg);
        return (csv, svg);
    }

    /// <summary>The adding problem's MSE when always answering 0.5: the variance of (X1 + X2)/4, X uniform in [−1, 1].</summary>
    internal const double BaselineMse = 2.0 / 3 / 16;

    /// <summary>One line per cell and phase: the error on held-out sequences and how much gradient reaches back.</summary>
    internal static string FormatTable(GradientFlowResult result)
    {
        int T = result.Options.Length, half = T / 2;
        var table = new System.Text.StringBuilder();
        table.Append(CultureInfo.InvariantCulture, $"| cell | phase | test MSE | within 0.04 | ‖∂L/∂h‖ at lag 0 | relative at lag {half} | relative at lag {T - 1} |\n");
        table.Append("|---|---|---|---|---|---|---|\n");
        foreach (var p in result.Profiles)
            table.Append(CultureInfo.InvariantCulture,
                $"| {p.Cell.ToCliName()} | {p.Phase} | {p.Score.MeanSquaredError:F4} | {p.Score.ShareCorrect:P1} | {p.MeanNormByLag[0]:G3} | {p.Relative(half):G3} | {p.Relative(T - 1):G3} |\n");
        return table.ToString();
    }

    internal static CellKind[] ParseCells(string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new UsageException("--cells names no cell.");
        var cells = names.Select(n => CellKinds.Parse(n)).ToArray();
        if (cells.Distinct().Count() != cells.Length) throw new UsageException($"--cells names a cell twice: '{text}'.");
        return cells;
    }
}
