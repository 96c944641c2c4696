using System.CommandLine;
using Carousel.Models;
using Carousel.Training;

namespace Carousel.Cli.Commands;

/// <summary>`carousel compare DIR1 DIR2 … --out report.html`: training runs side by side on one page.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var directories = new Argument<string[]>("directories") { Description = "Training directories (of any train command).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "The HTML page to write (self-contained; written atomically).", Required = true };
        var prime = new Option<string>("--prime") { Description = "Text every character model's sample starts from.", DefaultValueFactory = _ => "A" };
        var length = new Option<int>("--length") { Description = "Characters sampled from each character model.", DefaultValueFactory = _ => 1000 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of every sample (the same for all runs).", DefaultValueFactory = _ => 1UL };
        var temperature = new Option<float>("--temperature") { Description = "Divide the logits by this.", DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "Draw only from the k most likely characters (0: all).", DefaultValueFactory = _ => 5 };
        var command = new Command("compare", "Compare training runs on one self-contained HTML page: options side by side, loss curves on one chart, final figures, and a sample from each character model (same prime, seed and length).")
        {
            directories, output, prime, length, seed, temperature, topK,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var sampling = new SamplingOptions(parse.GetValue(temperature), parse.GetValue(topK));
            sampling.Validate();
            int n = parse.GetValue(length);
            if (n < 0) throw new UsageException($"--length must be ≥ 0, got {n}.");
            string path = parse.GetValue(output)!;
            var runs = RunComparison.Write(parse.GetValue(directories)!, path,
                new ComparisonSampling(parse.GetValue(prime)!, n, parse.GetValue(seed), sampling));
            Console.WriteLine($"Compared {runs.Count} runs ({string.Join(", ", runs.Select(r => r.Name))}) in {path}.");
            return 0;
        }));
        return command;
    }
}
