using System.CommandLine;
using System.Globalization;
using Carousel.IO;
using Carousel.Layers.Recurrent;
using Carousel.Experiments;

namespace Carousel.Cli.Commands;

/// <summary>`carousel exploding`: a tanh RNN with large recurrent weights trained with and without gradient clipping.</summary>
internal static class ExplodingCommand
{
    public static Command Create()
    {
        var defaults = new ExplodingGradientOptions();
        var cell = new Option<string>("--cell") { Description = CellKinds.CliNames + ".", DefaultValueFactory = _ => "rnn" };
        var problem = new AddingProblemOptions(defaults.Length, defaults.HiddenSize, defaults.BatchSize);
        var gain = new Option<float>("--gain") { Description = "W_hh ~ N(0, gain²/H): its spectral radius is about the gain.", DefaultValueFactory = _ => defaults.RecurrentGain };
        var trainSteps = new Option<int>("--train-steps") { Description = "Training batches of each run.", DefaultValueFactory = _ => defaults.TrainSteps };
        var lr = new Option<float>("--lr") { Description = "SGD learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var clip = new Option<double>("--grad-clip") { Description = "Global gradient norm of the clipped run.", DefaultValueFactory = _ => defaults.ClipNorm };
        var seed = new Option<int>("--seed") { Description = "Random seed (weights and batches; both runs share them).", DefaultValueFactory = _ => defaults.Seed };
        var outDir = new Option<string>("--out") { Description = "Directory for exploding.csv, exploding-loss.svg and exploding-gradient-norm.svg.", DefaultValueFactory = _ => "exploding-out" };
        var command = new Command("exploding",
            "Exploding gradients: train an RNN whose recurrent weights start with a spectral radius well above 1 on the adding problem, " +
            "twice from the same weights and batches with plain SGD, without and with gradient-norm clipping. Writes the loss and the " +
            "gradient norm of every step as CSV and two SVG charts (log scale).")
        {
            cell, gain, trainSteps, lr, clip, seed, outDir,
        };
        foreach (var o in problem.All) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var options = new ExplodingGradientOptions(CellKinds.Parse(parse.GetValue(cell)!), parse.GetValue(problem.Length), parse.GetValue(problem.Hidden),
                parse.GetValue(problem.BatchSize), parse.GetValue(trainSteps), parse.GetValue(lr), parse.GetValue(gain), parse.GetValue(clip), Seed: parse.GetValue(seed),
                Threads: problem.ThreadCount(parse));
            options.Validate();
            string dir = parse.GetValue(outDir)!;
            Directory.CreateDirectory(dir);

            using var bar = new ProgressLine();
            var result = ExplodingGradientExperiment.Run(options, p =>
                bar.Update((double)p.Step / p.TrainSteps, $"{p.Run}  step {p.Step,5}/{p.TrainSteps}  loss {p.Loss:G4}  gradient norm {p.GradientNorm:G4}"));
            bar.Finish();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"W_hh spectral radius at the start: {result.SpectralRadius:F2}"));
            Console.Write(FormatTable(result));
            string csv = Path.Combine(dir, "exploding.csv"), lossSvg = Path.Combine(dir, "exploding-loss.svg"), normSvg = Path.Combine(dir, "exploding-gradient-norm.svg");
            AtomicFile.WriteAllText(csv, result.ToCsv());
            result.LossChart().Save(lossSvg);
            result.GradientNormChart().Save(normSvg);
            Console.WriteLine($"Wrote {csv}, {lossSvg} and {normSvg} ({result.Elapsed.TotalSeconds:F1} s).");
            return 0;
        }));
        return command;
    }

    internal static string FormatTable(ExplodingGradientResult result)
    {
        var table = new System.Text.StringBuilder();
        table.Append("| run | diverged at step | median gradient norm | largest gradient norm | mean loss, last 10 % | test MSE |\n");
        table.Append("|---|---|---|---|---|---|\n");
        foreach (var run in result.Runs)
        {
            var finiteNorms = run.GradientNorms.Where(double.IsFinite).Order().ToArray();
            int tail = Math.Max(1, run.Losses.Length / 10);
            double lastLoss = run.Losses[^tail..].Average();
            table.Append(CultureInfo.InvariantCulture,
                $"| {run.Name} | {(run.DivergedAtStep is int s ? s.ToString(CultureInfo.InvariantCulture) : "–")} | " +
                $"{(finiteNorms.Length > 0 ? finiteNorms[finiteNorms.Length / 2] : double.NaN):G3} | {(finiteNorms.Length > 0 ? finiteNorms[^1] : double.NaN):G3} | " +
                $"{lastLoss:G3} | {run.Score.MeanSquaredError:G3} |\n");
        }
        return table.ToString();
    }
}
