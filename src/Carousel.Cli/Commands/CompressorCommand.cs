using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Carousel.Experiments.Compression;
using Carousel.Layers.Recurrent;

namespace Carousel.Cli.Commands;

/// <summary>`carousel compressor`: Schmidhuber's (1992) history compressor against a single net trained by BPTT.</summary>
internal static class CompressorCommand
{
    public static Command Create()
    {
        var d = new CompressorOptions();
        var middle = new Option<int>("--middle", "-n") { Description = "n, the predictable symbols between the first and the last (a x₁…xₙ b / c x₁…xₙ d).", DefaultValueFactory = _ => d.Middle };
        var cell = new Option<string>("--cell") { Description = CellKinds.CliNames + " (every net).", DefaultValueFactory = _ => d.Cell.ToCliName() };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units of each net.", DefaultValueFactory = _ => d.Hidden };
        var automatizer = new Option<long>("--automatizer-sequences") { Description = "Training sequences of the automatizer (stage 1).", DefaultValueFactory = _ => d.AutomatizerSequences };
        var chunker = new Option<long>("--chunker-sequences") { Description = "Training sequences of the chunker (stage 2); the single net gets both budgets.", DefaultValueFactory = _ => d.ChunkerSequences };
        var batch = new Option<int>("--batch") { Description = "Sequences per optimizer step.", DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<float>("--lr") { Description = "Adam's learning rate.", DefaultValueFactory = _ => d.LearningRate };
        var test = new Option<int>("--test-sequences") { Description = "Fresh sequences the compressor and the single net are judged on.", DefaultValueFactory = _ => d.TestSequences };
        var seeds = new Option<int>("--seeds") { Description = "Number of runs, seeds --seed .. --seed + N − 1.", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "The first seed.", DefaultValueFactory = _ => d.Seed };
        var threads = new Option<int>("--threads") { Description = "Threads for the matrix kernels.", DefaultValueFactory = _ => d.Threads };
        var json = new Option<bool>("--json") { Description = "Print only a JSON summary line at the end." };
        var command = new Command("compressor",
            "History compressor (Schmidhuber 1992) on a x₁…xₙ b / c x₁…xₙ d: an automatizer predicts the next symbol, a chunker sees only the symbols " +
            "it failed to predict; reports how often the compressor and a single net trained by BPTT predict the last symbol, and how many symbols reach the chunker.")
        {
            middle, cell, hidden, automatizer, chunker, batch, lr, test, seeds, seed, threads, json,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            int runs = parse.GetValue(seeds), first = parse.GetValue(seed);
            if (runs < 1) throw new UsageException($"--seeds must be at least 1, got {runs}.");
            if ((long)first + runs - 1 > int.MaxValue - 3_000_000) throw new UsageException($"--seed {first} with --seeds {runs} is too large.");
            var options = new CompressorOptions
            {
                Middle = parse.GetValue(middle), Cell = CellKinds.Parse(parse.GetValue(cell)!), Hidden = parse.GetValue(hidden),
                AutomatizerSequences = parse.GetValue(automatizer), ChunkerSequences = parse.GetValue(chunker), BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr), TestSequences = parse.GetValue(test), Threads = parse.GetValue(threads),
            };
            options.Validate();
            bool quiet = parse.GetValue(json);
            if (!quiet)
                Console.WriteLine($"n = {options.Middle} (sequences of {options.Middle + 2} symbols): {options.Cell.ToCliName()} ×{options.Hidden} for every net, adam lr {F(options.LearningRate)}, " +
                                  $"batch {options.BatchSize}; automatizer {options.AutomatizerSequences:N0} + chunker {options.ChunkerSequences:N0} training sequences, " +
                                  $"single net {options.AutomatizerSequences + options.ChunkerSequences:N0}; judged on {options.TestSequences:N0} fresh sequences.");
            using var interrupt = new CtrlCCancellation();
            var rows = new List<CompressorRow>();
            for (int s = first; s < first + runs && !interrupt.Token.IsCancellationRequested; s++)
            {
                var row = CompressorExperiment.Run(options with { Seed = s }, interrupt.Token);
                rows.Add(row);
                if (!quiet)
                    Console.WriteLine($"seed {s}: compressor predicts the last symbol in {P(row.CompressorRight)}, single net {P(row.SingleNetRight)} " +
                                      $"(b vs d right: {P(row.SingleNetClassRight)}); {F(row.SymbolsToChunker, 2)} of {options.Middle + 2} symbols reach the chunker " +
                                      $"(chunker trained on {row.ChunkerSequences:N0} sequences; {row.Seconds:F0} s)");
            }
            var (cm, cs) = MeanSd(rows.Select(r => r.CompressorRight));
            var (sm, ss) = MeanSd(rows.Select(r => r.SingleNetRight));
            var (scm, scs) = MeanSd(rows.Select(r => r.SingleNetClassRight));
            var (km, ks) = MeanSd(rows.Select(r => r.SymbolsToChunker));
            if (quiet)
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["middle"] = options.Middle, ["sequence_length"] = options.Middle + 2, ["cell"] = options.Cell.ToCliName(), ["hidden"] = options.Hidden,
                    ["automatizer_sequences"] = options.AutomatizerSequences, ["chunker_sequences"] = options.ChunkerSequences, ["test_sequences"] = options.TestSequences,
                    ["runs"] = rows.Count,
                    ["compressor_right_mean"] = R(cm), ["compressor_right_sd"] = R(cs),
                    ["single_net_right_mean"] = R(sm), ["single_net_right_sd"] = R(ss),
                    ["single_net_class_right_mean"] = R(scm), ["single_net_class_right_sd"] = R(scs),
                    ["symbols_to_chunker_mean"] = R(km), ["symbols_to_chunker_sd"] = R(ks),
                    ["compressor_right"] = rows.Select(r => R(r.CompressorRight)).ToArray(),
                    ["single_net_right"] = rows.Select(r => R(r.SingleNetRight)).ToArray(),
                    ["chunker_sequences_used"] = rows.Select(r => r.ChunkerSequences).ToArray(),
                    ["seconds"] = Math.Round(rows.Sum(r => r.Seconds), 1),
                }));
            else
                Console.WriteLine($"Over {rows.Count} seed{(rows.Count == 1 ? "" : "s")}: compressor {P(cm)} ± {P(cs)}, single net {P(sm)} ± {P(ss)} " +
                                  $"(b vs d: {P(scm)} ± {P(scs)}); symbols reaching the chunker {F(km, 2)} ± {F(ks, 2)} of {options.Middle + 2}.");
            return 0;
        }));
        return command;
    }

    private static (double Mean, double Sd) MeanSd(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length == 0) return (double.NaN, double.NaN);
        double mean = v.Average();
        return (mean, v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : double.NaN);
    }

    private static double? R(double x) => double.IsFinite(x) ? Math.Round(x, 4) : null;
    private static string P(double x) => double.IsFinite(x) ? (100 * x).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "–";
    private static string F(double x, int digits = 6) => double.IsFinite(x) ? Math.Round(x, digits).ToString(CultureInfo.InvariantCulture) : "–";
}
