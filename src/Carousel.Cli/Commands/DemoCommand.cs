using System.CommandLine;
using Carousel.Training.Experiments;

namespace Carousel.Cli.Commands;

/// <summary>`carousel demo`: an LSTM learns the embedded Reber grammar, with no files needed.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var defaults = new EmbeddedReberOptions();
        var seed = new Option<int>("--seed") { Description = "Random seed (held-out strings, training strings, initial weights).", DefaultValueFactory = _ => defaults.Seed };
        var hidden = new Option<int>("--hidden") { Description = "LSTM hidden size.", DefaultValueFactory = _ => defaults.HiddenSize };
        var learningRate = new Option<float>("--lr") { Description = "Adam learning rate (peak of a cosine decay over each trial).", DefaultValueFactory = _ => defaults.LearningRate };
        var maxSteps = new Option<int>("--max-steps") { Description = "Give up after this many training batches in total, over all trials.", DefaultValueFactory = _ => defaults.MaxSteps };
        var trialSteps = new Option<int>("--trial-steps")
        {
            Description = "Restart from fresh weights when a trial has not learned the grammar after this many batches.",
            DefaultValueFactory = _ => defaults.TrialSteps,
        };
        var command = new Command("demo",
            "Train a small LSTM on the embedded Reber grammar and report how many held-out strings (never trained on) it predicts right " +
            "at every step. Stops as soon as all are right; exits 0 only when it has learned the grammar.")
        {
            seed, hidden, learningRate, maxSteps, trialSteps,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var options = defaults with
            {
                Seed = parse.GetValue(seed),
                HiddenSize = Positive(parse.GetValue(hidden), "--hidden"),
                LearningRate = parse.GetValue(learningRate) is > 0f and var lr ? lr : throw new ArgumentException("--lr must be positive."),
                MaxSteps = Positive(parse.GetValue(maxSteps), "--max-steps"),
                TrialSteps = Positive(parse.GetValue(trialSteps), "--trial-steps"),
            };
            Console.WriteLine($"Embedded Reber grammar: LSTM with {options.HiddenSize} units, batches of {options.BatchSize} fresh strings, " +
                              $"{options.TestStrings} test strings from a held-out {options.HeldOutFraction:P0} of the strings (never trained on).");
            Console.WriteLine("A string is right when, at every step, exactly its legal next symbols have output > 0.5.");
            using var bar = new ProgressLine();
            var result = EmbeddedReberExperiment.Run(options, p =>
                bar.Update((double)p.Step / p.MaxSteps,
                    $"trial {p.Trial}  step {p.Step,5}/{p.MaxSteps}  loss {p.TrainLoss:F4}  held-out strings right {p.TestShare:P1}  ({p.TrainingStrings} strings seen)"));
            bar.Finish();
            Console.WriteLine($"{(result.Learned ? "Learned" : "Not learned")}: {result.TestShare:P1} of held-out strings right after " +
                              $"{result.Steps} batches ({result.TrainingStrings} training strings, {Trials(result.Trials)}) in {result.Elapsed.TotalSeconds:F1} s.");
            return result.Learned ? 0 : CommandRunner.Failure;
        }));
        return command;
    }

    internal static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentException($"{name} must be positive, got {value}.");

    private static string Trials(int count) => count == 1 ? "1 trial" : $"{count} trials";
}
