using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Carousel.IO;
using Carousel.Layers.Recurrent;
using Carousel.Experiments.Tasks;

namespace Carousel.Cli.Commands;

/// <summary>`carousel longlag`: which cells bridge which time lags on the adding problem, as a table.</summary>
internal static class LongLagCommand
{
    public static Command Create()
    {
        var cells = new Option<string>("--cells") { Description = "Comma-separated cells to compare (lstm, gru, rnn, rnn-relu, ...).", DefaultValueFactory = _ => "rnn,lstm,gru" };
        var lengths = new Option<string>("--lengths")
        {
            Description = "Comma-separated minimal lengths T (sequences have T..T+T/10 steps).",
            DefaultValueFactory = _ => string.Join(",", LongLagExperiment.DefaultLengths),
        };
        var task = new Option<string>("--task") { Description = "A task with a length: adding or multiplication.", DefaultValueFactory = _ => "adding" };
        var maxMinutes = new Option<double>("--max-minutes") { Description = "Wall-clock budget of each run in minutes (0: none), on top of --max-sequences.", DefaultValueFactory = _ => 0 };
        var keepGoing = new Option<bool>("--keep-going") { Description = "Run a cell's longer T even after it failed at a shorter one (by default they are skipped)." };
        var outFile = new Option<string?>("--out") { Description = "Also write the rows to this file: .json for JSON, anything else for CSV (rewritten after each row)." };
        var training = new TaskCommands.TrainingOptions(new TaskTrainingOptions { MaxSequences = LongLagExperiment.DefaultMaxSequences });
        var command = new Command("longlag",
            "Train each cell on the adding problem at each T from fresh weights, until solved by the 1997 criterion (at most 3 wrong of 2,560 " +
            "fresh test sequences, |error| < 0.04) or out of budget, and print a Markdown table: solved or not, training sequences, steps, time.")
        {
            cells, lengths, task, maxMinutes, keepGoing, outFile,
        };
        training.AddTo(command, includeCell: false);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var cellList = SplitList(parse.GetValue(cells)!, "--cells").Select(c => CellKinds.Parse(c)).Distinct().ToArray();
            var lengthList = SplitList(parse.GetValue(lengths)!, "--lengths").Select(s => ParseLength(s)).ToArray();
            double minutes = parse.GetValue(maxMinutes);
            if (!(minutes >= 0) || double.IsInfinity(minutes)) throw new UsageException($"--max-minutes must be ≥ 0, got {minutes}.");
            string taskName = parse.GetValue(task)!;
            if (TaskCatalog.Info(taskName).LengthMeaning is null) throw new UsageException($"Task '{taskName}' has no length to vary; use adding or multiplication.");
            var options = new LongLagOptions(cellList, lengthList, training.Read(parse, cellList[0]), taskName,
                MaxSecondsPerRun: minutes * 60, StopCellAtFirstFailure: !parse.GetValue(keepGoing));
            foreach (var cell in cellList) TaskLearners.Create(options.Training with { Cell = cell }); // e.g. --learner rtrl with gru: refused before any run
            string? path = parse.GetValue(outFile);

            var o = options.Training;
            Console.WriteLine($"{taskName}: {string.Join(", ", cellList.Select(c => c.ToCliName()))} at T = {string.Join(", ", lengthList)}; " +
                              $"each run {o.Layers}×{o.Hidden}, {TaskTrainingOptions.GateInitName(o.GateInit)} init (gated cells), {o.Optimizer} lr {F(o.LearningRate)}, " +
                              $"batch {o.BatchSize}, clip {F(o.GradClip)}, seed {o.Seed}, budget {o.MaxSequences:N0} sequences" +
                              (minutes > 0 ? $" or {F(minutes)} min" : "") + ".");
            using var interrupt = new CtrlCCancellation();
            var done = new List<LongLagRow>();
            ProgressLine? bar = null;
            try
            {
                LongLagExperiment.Run(options,
                    trainer =>
                    {
                        bar = new ProgressLine();
                        string prefix = $"{trainer.Tagger.Rnn.Options.Cell.ToCliName()} T={trainer.Task.Length}: ";
                        return p =>
                        {
                            string line = $"{prefix}{p.Sequences:N0} sequences  loss {p.TrainLoss.ToString("G4", CultureInfo.InvariantCulture)}  " +
                                          $"{p.SequencesPerSecond:N0} seq/s  {TimeSpan.FromSeconds(Math.Round(p.ElapsedSeconds)):g}" +
                                          (p.Evaluation is { } e ? $"  test: {e}" : "");
                            bar.Update((double)p.Sequences / p.MaxSequences, line);
                        };
                    },
                    row =>
                    {
                        bar?.Finish();
                        bar?.Dispose();
                        bar = null;
                        done.Add(row);
                        Console.WriteLine($"{row.Cell.ToCliName()} T={row.Length}: {RowText(row)}");
                        if (path is not null) Write(path, done);
                    }, interrupt.Token);
            }
            finally
            {
                bar?.Dispose();
                interrupt.StopListening();
            }
            Console.WriteLine();
            Console.Write(Markdown(done, o));
            if (path is not null) Console.WriteLine($"Rows written to {path}.");
            return interrupt.Requested ? 130 : 0;
        }));
        return command;
    }

    private static string RowText(LongLagRow r) => r.Skipped ? r.Note :
        $"{(r.Solved ? "solved" : "not solved")} after {r.Sequences:N0} sequences in {r.Seconds:F0} s (test: {r.Evaluation?.ToString() ?? "-"})" +
        (r.Note.Length > 0 ? $"; {r.Note}" : "");

    internal static string Markdown(IReadOnlyList<LongLagRow> rows, TaskTrainingOptions o)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| cell | T | solved | training sequences | steps | test wrong | train loss | time (s) | note |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            sb.Append($"| {r.Cell.ToCliName()} | {r.Length} | ");
            if (r.Skipped)
            {
                sb.AppendLine($"– | – | – | – | – | – | {r.Note} |");
                continue;
            }
            sb.AppendLine($"{(r.Solved ? "yes" : "no")} | {r.Sequences:N0} | {r.Steps:N0} | {r.Evaluation?.ToString() ?? "–"} | " +
                          $"{(double.IsFinite(r.TrainLoss) ? r.TrainLoss.ToString("G3", CultureInfo.InvariantCulture) : "–")} | {r.Seconds:F0} | {r.Note} |");
        }
        return sb.ToString();
    }

    private static void Write(string path, IReadOnlyList<LongLagRow> rows)
    {
        if (Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase))
        {
            var items = rows.Select(r => new Dictionary<string, object?>
            {
                ["cell"] = r.Cell.ToCliName(), ["length"] = r.Length, ["solved"] = r.Solved, ["skipped"] = r.Skipped,
                ["sequences"] = r.Sequences, ["steps"] = r.Steps, ["test_wrong"] = r.Evaluation?.Wrong, ["test_checked"] = r.Evaluation?.Tested,
                ["train_loss"] = double.IsFinite(r.TrainLoss) ? Math.Round(r.TrainLoss, 6) : null, ["seconds"] = Math.Round(r.Seconds, 1), ["note"] = r.Note,
            });
            AtomicFile.WriteAllText(path, JsonSerializer.Serialize(items, new JsonSerializerOptions { WriteIndented = true }) + "\n");
            return;
        }
        var csv = new StringBuilder("cell,length,solved,skipped,sequences,steps,test_wrong,test_checked,train_loss,seconds,note\n");
        foreach (var r in rows)
            csv.AppendLine(string.Join(",", r.Cell.ToCliName(), r.Length, r.Solved ? "true" : "false", r.Skipped ? "true" : "false", r.Sequences, r.Steps,
                r.Evaluation?.Wrong.ToString(CultureInfo.InvariantCulture) ?? "", r.Evaluation?.Tested.ToString(CultureInfo.InvariantCulture) ?? "",
                double.IsFinite(r.TrainLoss) ? r.TrainLoss.ToString("G6", CultureInfo.InvariantCulture) : "",
                r.Seconds.ToString("F1", CultureInfo.InvariantCulture), r.Note.Replace(',', ';')));
        AtomicFile.WriteAllText(path, csv.ToString());
    }

    private static string[] SplitList(string text, string name)
    {
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return items.Length > 0 ? items : throw new UsageException($"{name} needs at least one value.");
    }

    private static int ParseLength(string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : throw new UsageException($"--lengths: '{text}' is not a whole number.");

    private static string F(float value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(double value) => value.ToString(CultureInfo.InvariantCulture);
}
