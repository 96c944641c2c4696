using System.CommandLine;
using Carousel.Training.Experiments;

namespace Carousel.Cli.Commands;

/// <summary>`carousel demo`: an LSTM learns the embedded Reber grammar, with no files needed.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var seed = new Option<int>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 1 };
        var hidden = new Option<int>("--hidden") { Description = "LSTM hidden size.", DefaultValueFactory = _ => 32 };
        var learningRate = new Option<float>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 1e-2f };
        var maxSteps = new Option<int>("--max-steps") { Description = "Give up after this many training batches.", DefaultValueFactory = _ => 3000 };
        var command = new Command("demo", "Train a small LSTM on the embedded Reber grammar and report how many held-out strings it predicts right at every step. Exits 0 only when it has learned the grammar.")
        {
            seed, hidden, learningRate, maxSteps,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var options = new EmbeddedReberOptions(HiddenSize: Positive(parse.GetValue(hidden), "--hidden"),
                MaxSteps: Positive(parse.GetValue(maxSteps), "--max-steps"), Seed: parse.GetValue(seed),
                LearningRate: parse.GetValue(learningRate) is > 0f and var lr ? lr : throw new ArgumentException("--lr must be positive."));
            Console.WriteLine($"Embedded Reber grammar: LSTM with {options.HiddenSize} units, batches of {options.BatchSize} fresh strings, " +
                              $"{options.TestStrings} held-out test strings (never trained on).");
            Console.WriteLine("A string is right when, at every step, exactly its legal next symbols have output > 0.5.");
            using var bar = new ProgressLine();
            var result = EmbeddedReberExperiment.Run(options, p =>
                bar.Update((double)p.Step / p.MaxSteps,
                    $"step {p.Step,5}/{p.MaxSteps}  loss {p.TrainLoss:F4}  held-out strings right {p.TestShare:P1}  ({p.TrainingStrings} strings seen)"));
            bar.Finish();
            Console.WriteLine($"{(result.Learned ? "Learned" : "Not learned")}: {result.TestShare:P1} of held-out strings right after " +
                              $"{result.Steps} batches ({result.TrainingStrings} training strings) in {result.Elapsed.TotalSeconds:F1} s.");
            return result.Learned ? 0 : CommandRunner.Failure;
        }));
        return command;
    }

    internal static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentException($"{name} must be positive, got {value}.");
}
