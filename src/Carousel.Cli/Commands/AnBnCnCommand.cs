using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Carousel.Layers.Recurrent;
using Carousel.Experiments;

namespace Carousel.Cli.Commands;

/// <summary>`carousel anbncn`: the LSTM variants compared on aⁿbⁿcⁿ, trained on n ≤ 10, tested on how far they generalise.</summary>
internal static class AnBnCnCommand
{
    public static Command Create()
    {
        var defaults = new AnBnCnOptions();
        var cells = new Option<string>("--cells")
        {
            Description = "Comma-separated LSTM variants to compare: lstm-nofg (1997, no forget gate), lstm (forget gate), lstm-peephole.",
            DefaultValueFactory = _ => string.Join(",", defaults.Cells.Select(c => c.ToCliName())),
        };
        var seed = new Option<int>("--seed") { Description = "First seed (initial weights and order of the training strings).", DefaultValueFactory = _ => 1 };
        var seeds = new Option<int>("--seeds") { Description = "Number of seeds per variant: --seed, --seed + 1, ...", DefaultValueFactory = _ => defaults.Seeds.Count };
        var hidden = new Option<int>("--hidden") { Description = "Memory cells (blocks of one cell) of the single recurrent layer.", DefaultValueFactory = _ => defaults.HiddenSize };
        var batch = new Option<int>("--batch") { Description = "Strings per update (1: online, as in the paper).", DefaultValueFactory = _ => defaults.BatchSize };
        var learningRate = new Option<float>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var trainMax = new Option<int>("--train-max") { Description = "Train on n = 1..this.", DefaultValueFactory = _ => defaults.TrainMax };
        var testMax = new Option<int>("--test-max") { Description = "Test generalisation on n = 1..this.", DefaultValueFactory = _ => defaults.TestMax };
        var maxUpdates = new Option<int>("--max-updates") { Description = "Give a run up when it has not learned the training range after this many updates.", DefaultValueFactory = _ => defaults.MaxUpdates };
        var evaluateEvery = new Option<int>("--evaluate-every") { Description = "Updates between checks of the training range; training stops at the first check it passes.", DefaultValueFactory = _ => defaults.EvaluateEvery };
        var extraUpdates = new Option<int>("--extra-updates") { Description = "Keep training this many updates after the training range is learned, then test (0: test at once).", DefaultValueFactory = _ => defaults.ExtraUpdates };
        var forgetBias = new Option<float>("--forget-bias") { Description = "Initial forget-gate bias of lstm and lstm-peephole.", DefaultValueFactory = _ => defaults.ForgetGateBias };
        var threads = new Option<int>("--threads") { Description = "Threads for the matrix kernels.", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print the runs as JSON instead of the Markdown table." };
        var command = new Command("anbncn",
            "Compare LSTM variants on the context-sensitive language aⁿbⁿcⁿ (Gers & Schmidhuber 2001): train each on n = 1..10 (--train-max) " +
            "to predict the legal next symbols, then report the largest N such that every string with n ≤ N is predicted right at every step.")
        {
            cells, seed, seeds, hidden, batch, learningRate, trainMax, testMax, maxUpdates, evaluateEvery, extraUpdates, forgetBias, threads, json,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            int firstSeed = parse.GetValue(seed), seedCount = DemoCommand.Positive(parse.GetValue(seeds), "--seeds");
            var options = new AnBnCnOptions(
                ParseCells(parse.GetValue(cells)!),
                Enumerable.Range(firstSeed, seedCount).ToArray(),
                HiddenSize: DemoCommand.Positive(parse.GetValue(hidden), "--hidden"),
                BatchSize: DemoCommand.Positive(parse.GetValue(batch), "--batch"),
                LearningRate: parse.GetValue(learningRate) is > 0f and var lr ? lr : throw new UsageException("--lr must be positive."),
                TrainMax: DemoCommand.Positive(parse.GetValue(trainMax), "--train-max"),
                TestMax: DemoCommand.Positive(parse.GetValue(testMax), "--test-max"),
                MaxUpdates: DemoCommand.Positive(parse.GetValue(maxUpdates), "--max-updates"),
                EvaluateEvery: DemoCommand.Positive(parse.GetValue(evaluateEvery), "--evaluate-every"),
                ExtraUpdates: parse.GetValue(extraUpdates) is >= 0 and var extra ? extra : throw new UsageException("--extra-updates must not be negative."),
                ForgetGateBias: parse.GetValue(forgetBias));
            if (options.TestMax < options.TrainMax)
                throw new UsageException($"--test-max ({options.TestMax}) must be at least --train-max ({options.TrainMax}).");
            options = options with { Threads = DemoCommand.Positive(parse.GetValue(threads), "--threads") };
            bool asJson = parse.GetValue(json);

            IReadOnlyList<AnBnCnRun> runs;
            if (asJson) runs = AnBnCnExperiment.Run(options);
            else
            {
                Console.WriteLine($"aⁿbⁿcⁿ: one layer of {options.HiddenSize} cells, {options.BatchSize} string(s) per update, Adam {options.LearningRate}, " +
                                  $"trained on n = 1..{options.TrainMax} until all are right (at most {options.MaxUpdates} updates), tested on n = 1..{options.TestMax}.");
                using var bar = new ProgressLine();
                runs = AnBnCnExperiment.Run(options, p =>
                    bar.Update((double)p.Update / p.MaxUpdates,
                        $"{p.Cell.ToCliName()} seed {p.Seed}  update {p.Update,6}/{p.MaxUpdates}  loss {p.TrainLoss:F4}  training strings right {p.TrainingStringsRight}/{p.TrainMax}"));
                bar.Finish();
            }
            Console.WriteLine(asJson ? Json(options, runs) : Table(options, runs));
            return 0;
        }));
        return command;
    }

    private static IReadOnlyList<CellKind> ParseCells(string text)
    {
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0) throw new UsageException("--cells needs at least one cell.");
        var cells = names.Select(name => CellKinds.Parse(name)).Distinct().ToArray();
        foreach (var cell in cells)
            if (!cell.HasCellState()) throw new UsageException($"--cells: {cell.ToCliName()} is not an LSTM variant (lstm-nofg, lstm, lstm-peephole).");
        return cells;
    }

    // One row per run, then one summary row per cell.
    internal static string Table(AnBnCnOptions options, IReadOnlyList<AnBnCnRun> runs)
    {
        var lines = new List<string>
        {
            $"| cell | seed | learned n ≤ {options.TrainMax} | updates to learn | strings seen | generalises to n ≤ (tested to {options.TestMax}) | seconds |",
            "|---|---|---|---|---|---|---|",
        };
        foreach (var r in runs)
            lines.Add($"| {r.Cell.ToCliName()} | {r.Seed} | {Learned(r)} | {r.UpdatesToLearn} | {r.StringsSeen} | {Range(r, options)} | " +
                      $"{r.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)} |");
        lines.Add("");
        lines.Add($"| cell | runs learned | generalisation of learned runs: median | best | worst |");
        lines.Add("|---|---|---|---|---|");
        foreach (var group in runs.GroupBy(r => r.Cell))
        {
            var learned = group.Where(r => r.Learned).Select(r => r.GeneralisationMax).Order().ToArray();
            string median = learned.Length == 0 ? "–" : Median(learned).ToString("0.#", CultureInfo.InvariantCulture);
            string best = learned.Length == 0 ? "–" : learned[^1].ToString(CultureInfo.InvariantCulture);
            string worst = learned.Length == 0 ? "–" : learned[0].ToString(CultureInfo.InvariantCulture);
            lines.Add($"| {group.Key.ToCliName()} | {learned.Length}/{group.Count()} | {median} | {best} | {worst} |");
        }
        return string.Join(Environment.NewLine, lines);
    }

    private static string Learned(AnBnCnRun run) => !run.Learned ? "no" : run.LearnedAtEnd ? "yes" : "yes, lost after extra updates";

    private static string Range(AnBnCnRun run, AnBnCnOptions options) =>
        run.GeneralisationMax >= options.TestMax ? $"≥ {options.TestMax}" : run.GeneralisationMax.ToString(CultureInfo.InvariantCulture);

    private static double Median(int[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2.0;

    private static string Json(AnBnCnOptions options, IReadOnlyList<AnBnCnRun> runs) => JsonSerializer.Serialize(new
    {
        hidden = options.HiddenSize,
        batch = options.BatchSize,
        lr = options.LearningRate,
        train_max = options.TrainMax,
        test_max = options.TestMax,
        max_updates = options.MaxUpdates,
        extra_updates = options.ExtraUpdates,
        forget_bias = options.ForgetGateBias,
        runs = runs.Select(r => new
        {
            cell = r.Cell.ToCliName(),
            seed = r.Seed,
            learned = r.Learned,
            updates_to_learn = r.UpdatesToLearn,
            learned_at_end = r.LearnedAtEnd,
            strings_seen = r.StringsSeen,
            train_loss = Math.Round(r.TrainLoss, 6),
            generalisation_max = r.GeneralisationMax,
            seconds = Math.Round(r.Elapsed.TotalSeconds, 2),
        }),
    });
}
