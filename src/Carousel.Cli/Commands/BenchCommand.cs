using System.CommandLine;
using System.Text.Json;
using Carousel.Experiments;
using Carousel.Layers.Recurrent;

namespace Carousel.Cli.Commands;

/// <summary>`carousel bench`: the same measurement as ../shared/bench/torch_charlstm.py, as one JSON line.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var cell = new Option<string>("--cell") { Description = CellKinds.CliNames + ".", DefaultValueFactory = _ => "lstm" };
        var hidden = new Option<int>("--hidden") { DefaultValueFactory = _ => 512 };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => 2 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 32 };
        var seq = new Option<int>("--seq") { DefaultValueFactory = _ => 100 };
        var steps = new Option<int>("--steps") { Description = "Timed training steps (after 3 warm-up steps).", DefaultValueFactory = _ => 20 };
        var sample = new Option<int>("--sample") { Description = "Timed sampling tokens.", DefaultValueFactory = _ => 500 };
        var vocab = new Option<int>("--vocab") { DefaultValueFactory = _ => 65 };
        var threads = new Option<int>("--threads") { Description = "Threads for the matrix kernels and the time loops.", DefaultValueFactory = _ => new Carousel.Training.Char.CharTrainingOptions().Threads };
        var rounds = new Option<int>("--sample-rounds") { Description = "Timed sampling rounds; the best is reported.", DefaultValueFactory = _ => 1 };
        var compare = new Option<bool>("--compare-sampling") { Description = "Also time sampling through the general forward (T = 1, B = 1), rounds alternating with the batch-1 stepper." };
        var json = new Option<bool>("--json") { Description = "Print only the JSON line." };
        var weights = WeightPrecisions.Option("How batch-1 sampling keeps the weights it streams per token: fp32 or bf16.");
        var infer = new Option<bool>("--infer") { Description = "Also time forward-only inference (eval mode, logits of a B × T batch): infer_tokens_per_s, best of --sample-rounds rounds of --steps forwards." };
        var command = new Command("bench", "Training and batch-1 sampling throughput of a char-level model (Embedding → recurrent stack → Linear, Adam, clip 5).")
        {
            cell, hidden, layers, batch, seq, steps, sample, vocab, threads, rounds, compare, json, infer, weights,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var options = new ThroughputOptions(CellKinds.Parse(parse.GetValue(cell)!),
                DemoCommand.Positive(parse.GetValue(hidden), "--hidden"), DemoCommand.Positive(parse.GetValue(layers), "--layers"),
                DemoCommand.Positive(parse.GetValue(batch), "--batch"), DemoCommand.Positive(parse.GetValue(seq), "--seq"),
                DemoCommand.Positive(parse.GetValue(vocab), "--vocab"), DemoCommand.Positive(parse.GetValue(steps), "--steps"),
                DemoCommand.Positive(parse.GetValue(sample), "--sample"),
                SampleRounds: DemoCommand.Positive(parse.GetValue(rounds), "--sample-rounds"), CompareSamplingPaths: parse.GetValue(compare),
                Threads: DemoCommand.Positive(parse.GetValue(threads), "--threads"), Inference: parse.GetValue(infer),
                SamplingWeights: WeightPrecisions.Parse(parse.GetValue(weights)!));
            var r = ThroughputBenchmark.Run(options);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                engine = "carousel",
                cell = parse.GetValue(cell),
                sample_weights = parse.GetValue(weights),
                hidden = options.Hidden, layers = options.Layers, batch = options.Batch, seq = options.SeqLength, threads = options.Threads,
                train_tokens_per_s = Math.Round(r.TrainTokensPerSecond),
                sample_tokens_per_s = double.IsNaN(r.SampleTokensPerSecond) ? (double?)null : Math.Round(r.SampleTokensPerSecond),
                rnn_parameters = new RecurrentOptions(options.Cell, options.Hidden, options.Hidden, options.Layers).FreeParameterCount(),
                sample_general_tokens_per_s = double.IsNaN(r.GeneralSampleTokensPerSecond) ? (double?)null : Math.Round(r.GeneralSampleTokensPerSecond),
                infer_tokens_per_s = double.IsNaN(r.InferTokensPerSecond) ? (double?)null : Math.Round(r.InferTokensPerSecond),
                train_gflops = Math.Round(r.TrainGigaflops, 1),
                peak_memory_mb = Math.Round(r.PeakMemoryBytes / 1048576.0, 1),
            }, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
            return 0;
        }));
        return command;
    }
}
