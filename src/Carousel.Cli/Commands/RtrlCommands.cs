using System.CommandLine;
using System.Text.Json;
using Carousel.Diagnostics;
using Carousel.Layers.Recurrent;
using Carousel.Training.Experiments;

namespace Carousel.Cli.Commands;

/// <summary>`carousel rtrl adding|cost`: real-time recurrent learning, online on the adding problem, and its cost against BPTT.</summary>
internal static class RtrlCommands
{
    public static Command Create() => new("rtrl", "Real-time recurrent learning (Williams & Zipser 1989): exact gradients carried forward in time.")
    {
        Adding(),
        Cost(),
    };

    private static Command Adding()
    {
        var defaults = new OnlineAddingOptions();
        var cell = new Option<string>("--cell") { Description = "lstm or rnn (tanh).", DefaultValueFactory = _ => defaults.Cell.ToCliName() };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units.", DefaultValueFactory = _ => defaults.HiddenSize };
        var length = new Option<int>("--length") { Description = "Sequence length T (at least 22).", DefaultValueFactory = _ => defaults.Length };
        var sequences = new Option<int>("--sequences") { Description = "Sequences streamed in total.", DefaultValueFactory = _ => defaults.Sequences };
        var learningRate = new Option<float>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var updateEvery = new Option<int>("--update-every") { Description = "Sequences (losses) between weight updates.", DefaultValueFactory = _ => defaults.UpdateEvery };
        var reportEvery = new Option<int>("--report-every") { Description = "Sequences per printed line.", DefaultValueFactory = _ => defaults.ReportEvery };
        var seed = new Option<int>("--seed") { Description = "Random seed (weights and sequences).", DefaultValueFactory = _ => defaults.Seed };
        var json = new Option<bool>("--json") { Description = "Print one JSON line per report instead of a table." };
        var command = new Command("adding",
            "Learn the adding problem online: the weights change after every sequence, from the gradient RTRL has at its last step. " +
            "Prints the mean loss (½e²) and the share of sequences within 0.04 of the target; always answering 0.5 scores a loss of 0.0208.")
        {
            cell, hidden, length, sequences, learningRate, updateEvery, reportEvery, seed, json,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var options = new OnlineAddingOptions(
                ParseCell(parse.GetValue(cell)!),
                DemoCommand.Positive(parse.GetValue(hidden), "--hidden"),
                parse.GetValue(length) is >= Carousel.Data.Tasks.MarkedPairProblem.SmallestMinLength and var t ? t
                    : throw new ArgumentException($"--length must be at least {Carousel.Data.Tasks.MarkedPairProblem.SmallestMinLength}, got {parse.GetValue(length)}."),
                DemoCommand.Positive(parse.GetValue(sequences), "--sequences"),
                parse.GetValue(learningRate) is > 0f and var lr ? lr : throw new ArgumentException("--lr must be positive."),
                DemoCommand.Positive(parse.GetValue(updateEvery), "--update-every"),
                DemoCommand.Positive(parse.GetValue(reportEvery), "--report-every"),
                parse.GetValue(seed));
            bool asJson = parse.GetValue(json);
            if (!asJson)
                Console.WriteLine($"{"sequences",10} {"mean ½e²",10} {"within 0.04",12} {"µs/step",9}");
            OnlineAddingExperiment.Run(options, p => Console.WriteLine(asJson
                ? JsonSerializer.Serialize(new { sequences = p.Sequences, mean_loss = p.MeanLoss, accuracy = p.Accuracy, microseconds_per_step = Math.Round(p.MicrosecondsPerStep, 2) })
                : $"{p.Sequences,10} {p.MeanLoss,10:F5} {p.Accuracy,12:P1} {p.MicrosecondsPerStep,9:F1}"));
            return 0;
        }));
        return command;
    }

    private static Command Cost()
    {
        var cells = new Option<string>("--cells") { Description = "Cells to measure, comma-separated: rnn, lstm.", DefaultValueFactory = _ => "rnn,lstm" };
        var sizes = new Option<string>("--hidden") { Description = "Hidden sizes, comma-separated.", DefaultValueFactory = _ => "8,16,32,64" };
        var input = new Option<int>("--input") { Description = "Input size.", DefaultValueFactory = _ => 2 };
        var steps = new Option<int>("--steps") { Description = "Sequence length of the BPTT pass (its time is divided by it).", DefaultValueFactory = _ => 100 };
        var json = new Option<bool>("--json") { Description = "Print one JSON line per row instead of a table." };
        var command = new Command("cost",
            "Time per step of RTRL against BPTT on the same one-layer network (batch 1, a loss at every step, one thread), and the memory of RTRL's sensitivities.")
        {
            cells, sizes, input, steps, json,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var cellList = parse.GetValue(cells)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseCell).ToArray();
            var sizeList = parse.GetValue(sizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.TryParse(s, out int h) && h > 0 ? h : throw new ArgumentException($"--hidden takes positive sizes, got '{s}'.")).ToArray();
            if (cellList.Length == 0 || sizeList.Length == 0) throw new ArgumentException("Give at least one cell and one hidden size.");
            int inputSize = DemoCommand.Positive(parse.GetValue(input), "--input"), length = DemoCommand.Positive(parse.GetValue(steps), "--steps");
            bool asJson = parse.GetValue(json);
            Carousel.Kernels.Gemm.MaxThreads = 1;
            if (!asJson)
                Console.WriteLine($"| cell | hidden | parameters | RTRL µs/step | BPTT µs/step | ratio | sensitivities |\n|---|---|---|---|---|---|---|");
            foreach (var cell in cellList)
                foreach (int hidden in sizeList)
                {
                    var r = RtrlCost.Measure(cell, hidden, inputSize, length);
                    Console.WriteLine(asJson
                        ? JsonSerializer.Serialize(new { cell = cell.ToCliName(), hidden, parameters = r.Parameters, rtrl_us_per_step = Math.Round(r.RtrlMicroseconds, 2), bptt_us_per_step = Math.Round(r.BpttMicroseconds, 2), sensitivity_bytes = r.SensitivityBytes })
                        : $"| {cell.ToCliName()} | {hidden} | {r.Parameters} | {r.RtrlMicroseconds:F1} | {r.BpttMicroseconds:F2} | {r.RtrlMicroseconds / r.BpttMicroseconds:F0}× | {Bytes(r.SensitivityBytes)} |");
                }
            return 0;
        }));
        return command;
    }

    private static CellKind ParseCell(string name)
    {
        var cell = CellKinds.Parse(name);
        return cell is CellKind.RnnTanh or CellKind.Lstm ? cell : throw new ArgumentException($"RTRL supports the cells lstm and rnn (tanh), not '{name}'.");
    }

    private static string Bytes(long bytes) => bytes >= 1 << 20 ? $"{bytes / 1048576.0:F1} MB" : $"{bytes / 1024.0:F0} KB";
}
