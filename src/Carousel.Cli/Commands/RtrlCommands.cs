using System.CommandLine;
using System.Text.Json;
using Carousel.Diagnostics;
using Carousel.Layers.Recurrent;
using Carousel.Experiments;

namespace Carousel.Cli.Commands;

/// <summary>`carousel rtrl reber|cost`: real-time recurrent learning, online on the Reber grammar, and its cost against BPTT.</summary>
internal static class RtrlCommands
{
    public static Command Create() => new("rtrl", "Real-time recurrent learning (Williams & Zipser 1989): exact gradients carried forward in time.")
    {
        Reber(),
        Cost(),
    };

    private static Command Reber()
    {
        var defaults = new OnlineReberOptions();
        var cell = new Option<string>("--cell") { Description = "lstm or rnn (tanh).", DefaultValueFactory = _ => defaults.Cell.ToCliName() };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units.", DefaultValueFactory = _ => defaults.HiddenSize };
        var strings = new Option<int>("--strings") { Description = "Reber strings streamed in total.", DefaultValueFactory = _ => defaults.Strings };
        var learningRate = new Option<float>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var updateEvery = new Option<int>("--update-every") { Description = "Steps (symbols) between weight updates.", DefaultValueFactory = _ => defaults.UpdateEvery };
        var reportEvery = new Option<int>("--report-every") { Description = "Strings per printed line.", DefaultValueFactory = _ => defaults.ReportEvery };
        var seed = new Option<int>("--seed") { Description = "Random seed (weights and strings).", DefaultValueFactory = _ => defaults.Seed };
        var json = new Option<bool>("--json") { Description = "Print one JSON line per report instead of a table." };
        var command = new Command("reber",
            "Learn the Reber grammar online: at every symbol the network predicts the legal next symbols and its weights change at once, " +
            "from the gradient RTRL has at that step. Prints the loss per step and the share of strings predicted right at every step.")
        {
            cell, hidden, strings, learningRate, updateEvery, reportEvery, seed, json,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var options = new OnlineReberOptions(
                ParseCell(parse.GetValue(cell)!),
                DemoCommand.Positive(parse.GetValue(hidden), "--hidden"),
                DemoCommand.Positive(parse.GetValue(strings), "--strings"),
                parse.GetValue(learningRate) is > 0f and var lr ? lr : throw new UsageException("--lr must be positive."),
                DemoCommand.Positive(parse.GetValue(updateEvery), "--update-every"),
                DemoCommand.Positive(parse.GetValue(reportEvery), "--report-every"),
                parse.GetValue(seed));
            bool asJson = parse.GetValue(json);
            if (!asJson)
                Console.WriteLine($"{"strings",8} {"loss/step",10} {"strings right",14} {"µs/step",9}");
            OnlineReberExperiment.Run(options, p => Console.WriteLine(asJson
                ? JsonSerializer.Serialize(new { strings = p.Strings, mean_loss = p.MeanLoss, strings_right = p.StringsRight, microseconds_per_step = Math.Round(p.MicrosecondsPerStep, 2) })
                : $"{p.Strings,8} {p.MeanLoss,10:F4} {p.StringsRight,14:P1} {p.MicrosecondsPerStep,9:F1}"));
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
                .Select(s => int.TryParse(s, out int h) && h > 0 ? h : throw new UsageException($"--hidden takes positive sizes, got '{s}'.")).ToArray();
            if (cellList.Length == 0 || sizeList.Length == 0) throw new UsageException("Give at least one cell and one hidden size.");
            int inputSize = DemoCommand.Positive(parse.GetValue(input), "--input"), length = DemoCommand.Positive(parse.GetValue(steps), "--steps");
            bool asJson = parse.GetValue(json);
            if (!asJson)
                Console.WriteLine($"| cell | hidden | parameters | RTRL µs/step | BPTT µs/step | ratio | RTRL multiply-adds/step | GMAC/s | sensitivities |\n|---|---|---|---|---|---|---|---|---|");
            foreach (var cell in cellList)
                foreach (int hidden in sizeList)
                {
                    var r = RtrlCost.Measure(cell, hidden, inputSize, length);
                    Console.WriteLine(asJson
                        ? JsonSerializer.Serialize(new { cell = cell.ToCliName(), hidden, parameters = r.Parameters, rtrl_us_per_step = Math.Round(r.RtrlMicroseconds, 2), bptt_us_per_step = Math.Round(r.BpttMicroseconds, 2), sensitivity_bytes = r.SensitivityBytes, multiply_adds_per_step = r.MultiplyAddsPerStep })
                        : $"| {cell.ToCliName()} | {hidden} | {r.Parameters} | {r.RtrlMicroseconds:F1} | {r.BpttMicroseconds:F2} | {r.RtrlMicroseconds / r.BpttMicroseconds:F0}× | {r.MultiplyAddsPerStep:N0} | {r.MultiplyAddsPerStep / r.RtrlMicroseconds / 1000:F1} | {Bytes(r.SensitivityBytes)} |");
                }
            return 0;
        }));
        return command;
    }

    private static CellKind ParseCell(string name)
    {
        var cell = CellKinds.Parse(name);
        return cell is CellKind.RnnTanh or CellKind.Lstm ? cell : throw new UsageException($"RTRL supports the cells lstm and rnn (tanh), not '{name}'.");
    }

    private static string Bytes(long bytes) => bytes >= 1 << 20 ? $"{bytes / 1048576.0:F1} MB" : $"{bytes / 1024.0:F0} KB";
}
