using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Carousel.Distributed;
using Carousel.Experiments;
using Carousel.Layers.Recurrent;
using Carousel.Training;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;
using Carousel.Experiments.Tasks;

namespace Carousel.Cli.Commands;

/// <summary>`carousel task list | show | train`: the benchmark tasks of the literature from the command line.</summary>
internal static class TaskCommands
{
    public static Command Create() => new("task", "The long-time-lag benchmark tasks (adding, multiplication, temporal order, embedded Reber, aⁿbⁿcⁿ, copy): list, show, train.")
    {
        List(), Show(), Train(),
    };

    private static Command List()
    {
        var command = new Command("list", "List the tasks, what --length means for each and the success criterion.");
        command.SetAction(CommandRunner.Guard(_ =>
        {
            foreach (var info in TaskCatalog.All)
            {
                var task = TaskCatalog.Create(info.Name);
                Console.WriteLine($"{info.Name,-17} {info.Summary}");
                Console.WriteLine($"{"",-17} --length: {(info.LengthMeaning is null ? "none" : $"{info.LengthMeaning}; default {info.DefaultLength}, at least {info.SmallestLength}")}");
                Console.WriteLine($"{"",-17} criterion: {task.Criterion}");
            }
            return 0;
        }));
        return command;
    }

    private static Command Show()
    {
        var taskName = new Argument<string>("task") { Description = "Task name (see `carousel task list`)." };
        var length = LengthOption();
        var count = new Option<int>("--count") { Description = "Number of sequences to print.", DefaultValueFactory = _ => 3 };
        var seed = new Option<int>("--seed") { Description = "Seed of the training stream to draw from.", DefaultValueFactory = _ => 1 };
        var command = new Command("show", "Print generated training sequences of a task with their targets.") { taskName, length, count, seed };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            int n = DemoCommand.Positive(parse.GetValue(count), "--count");
            var task = TaskCatalog.Create(parse.GetValue(taskName)!, parse.GetValue(length), parse.GetValue(seed));
            var batch = task.NextTrainingBatch(n);
            Console.WriteLine($"{task.Name}{(task.Length is int l ? $" (--length {l})" : "")}: {task.InputSize} inputs and {task.OutputSize} outputs per step; {task.Criterion}.");
            for (int b = 0; b < n; b++) Console.WriteLine($"{b + 1}. {batch.Describe(b)}");
            return 0;
        }));
        return command;
    }

    private static Command Train()
    {
        var taskName = new Argument<string>("task") { Description = "Task name (see `carousel task list`)." };
        var length = LengthOption();
        var training = new TrainingOptions();
        var json = new Option<bool>("--json") { Description = "Print only a JSON summary line at the end." };
        var distributed = Distribution.CreateOption();
        var command = new Command("train",
            "Train a recurrent network on a task until it is solved by the task's criterion on fresh test sequences, or the budget is spent. " +
            "Exits 0 when solved, 1 otherwise.")
        {
            taskName, length, json, distributed,
        };
        training.AddTo(command);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var options = training.Read(parse);
            var task = TaskCatalog.Create(parse.GetValue(taskName)!, parse.GetValue(length), options.Seed);
            var trainer = new TaskTrainer(task, options);
            var communicator = Distribution.Communicator;
            bool quiet = parse.GetValue(json);
            if (options.Learner == "rtrl" && options.Hidden > RtrlWarnAbove)
                Console.Error.WriteLine($"warning: --learner rtrl costs O(H⁴) per step: {options.Cell.ToCliName()} with {options.Hidden} units does " +
                                        $"{RealTimeRecurrentLearner.MultiplyAddsPerStep(options.Cell, task.InputSize, options.Hidden):N0} multiply-adds per step " +
                                        $"(≈ 10 per ns on one core); --hidden {RtrlWarnAbove} or less keeps it within seconds.");
            if (!quiet)
            {
                Console.WriteLine($"{task.Name}{(task.Length is int l ? $" --length {l}" : "")}: {Describe(options, trainer)}.");
                Console.WriteLine($"Criterion: {task.Criterion}.");
            }
            var result = RunWithProgress(trainer, options, quiet ? null : "", communicator);
            if (quiet)
                Console.WriteLine(JsonSerializer.Serialize(Summary(task, options, trainer, result)));
            else
                Console.WriteLine(Outcome(result));
            return result.Solved ? 0 : CommandRunner.Failure;
        }));
        return command;
    }

    // Hidden sizes above this get a warning with --learner rtrl: an LSTM of 16 units takes ≈ 0.2 ms per step, of 32 ≈ 2 ms, of 64 ≈ 30 ms.
    private const int RtrlWarnAbove = 16;

    internal static Option<int?> LengthOption() =>
        new("--length") { Description = "The task's length (adding, multiplication: T, at least 22; anbncn: N; copy: the delay). See `carousel task list`." };

    /// <summary>E.g. "lstm 1×64, chrono init, adam lr 0.01, batch 64, clip 1, bptt, at most 100,000 sequences"
    /// ("rtrl online (weights updated every 1 step with a loss)" for an online learner).</summary>
    internal static string Describe(TaskTrainingOptions o, TaskTrainer trainer) =>
        $"{o.Cell.ToCliName()} {o.Layers}×{o.Hidden}, {TaskTrainingOptions.GateInitName(trainer.AppliedGateInit)} init" +
        (trainer.AppliedGateInit == GateInitialization.ForgetBias ? $" {o.ForgetBias.ToString(CultureInfo.InvariantCulture)}" : "") +
        $", {o.Optimizer} lr {o.LearningRate.ToString(CultureInfo.InvariantCulture)}, batch {o.BatchSize}, " +
        (o.GradClip > 0 ? $"clip {o.GradClip.ToString(CultureInfo.InvariantCulture)}" : "no clipping") +
        $", {o.Learner}" + (o.UpdateEvery > 0 ? $" online (weights updated every {o.UpdateEvery} step{(o.UpdateEvery == 1 ? "" : "s")} with a loss)" : "") +
        (o.TbpttStep > 0 ? $" truncated: BPTT({(o.TbpttWindow > 0 ? o.TbpttWindow : o.TbpttStep)}; {o.TbpttStep})" : "") +
        $", at most {o.MaxSequences:N0} sequences" + (o.MaxSteps < long.MaxValue ? $" / {o.MaxSteps:N0} steps" : "");

    /// <summary>Runs the trainer with a progress line (none when <paramref name="prefix"/> is null); Ctrl-C stops it.</summary>
    internal static TaskResult RunWithProgress(TaskTrainer trainer, TaskTrainingOptions options, string? prefix, ICommunicator? communicator = null)
    {
        using var interrupt = new CtrlCCancellation();
        if (prefix is null) return trainer.Run(cancel: interrupt.Token, communicator: communicator);
        using var bar = new ProgressLine();
        var result = trainer.Run(p =>
        {
            string line = $"{prefix}step {p.Step:N0}  sequences {p.Sequences:N0}  loss {p.TrainLoss.ToString("G4", CultureInfo.InvariantCulture)}  " +
                          $"{p.SequencesPerSecond:N0} seq/s  {TimeSpan.FromSeconds(Math.Round(p.ElapsedSeconds)):g}";
            if (p.Evaluation is { } e) bar.Log($"{line}  test: {e}");
            else bar.Update((double)p.Sequences / p.MaxSequences, line);
        }, interrupt.Token, communicator);
        bar.Finish();
        return result;
    }

    internal static string Outcome(TaskResult r) =>
        $"{(r.Solved ? "Solved" : r.Interrupted ? "Interrupted" : "Not solved")} after {r.Sequences:N0} training sequences ({r.Steps:N0} steps) " +
        $"in {r.ElapsedSeconds:F1} s; test: {r.LastEvaluation?.ToString() ?? "not checked"}.";

    internal static Dictionary<string, object?> Summary(SequenceTask task, TaskTrainingOptions o, TaskTrainer trainer, TaskResult r)
    {
        var summary = FullSummary(task, o, trainer, r);
        // Only truncated runs name their window: other summaries stay as they were.
        if (o.TbpttStep > 0) { summary["tbptt_step"] = o.TbpttStep; summary["tbptt_window"] = o.TbpttWindow > 0 ? o.TbpttWindow : o.TbpttStep; }
        return summary;
    }

    private static Dictionary<string, object?> FullSummary(SequenceTask task, TaskTrainingOptions o, TaskTrainer trainer, TaskResult r) => new()
    {
        ["task"] = task.Name,
        ["length"] = task.Length,
        ["cell"] = o.Cell.ToCliName(),
        ["hidden"] = o.Hidden,
        ["layers"] = o.Layers,
        ["init"] = TaskTrainingOptions.GateInitName(trainer.AppliedGateInit),
        ["optimizer"] = o.Optimizer,
        ["lr"] = o.LearningRate,
        ["batch"] = o.BatchSize,
        ["grad_clip"] = o.GradClip,
        ["learner"] = o.Learner,
        ["update_every"] = o.UpdateEvery,
        ["seed"] = o.Seed,
        ["max_sequences"] = o.MaxSequences,
        ["solved"] = r.Solved,
        ["sequences"] = r.Sequences,
        ["steps"] = r.Steps,
        ["test_wrong"] = r.LastEvaluation?.Wrong,
        ["test_checked"] = r.LastEvaluation?.Tested,
        ["test_sequences"] = task.TestSequences,
        ["allowed_wrong"] = task.AllowedWrong,
        ["train_loss"] = double.IsFinite(r.TrainLoss) ? Math.Round(r.TrainLoss, 6) : null,
        ["seconds"] = Math.Round(r.ElapsedSeconds, 1),
    };

    /// <summary>The training options shared by `task train` and `longlag`.</summary>
    /// <param name="defaults">The values of options not given (the trainer's own by default).</param>
    internal sealed class TrainingOptions(TaskTrainingOptions defaults)
    {
        public TrainingOptions() : this(new TaskTrainingOptions()) { }

        public readonly Option<string> Cell = new("--cell") { Description = CellKinds.CliNames + ".", DefaultValueFactory = _ => "lstm" };
        public readonly Option<int> Hidden = new("--hidden") { Description = "Hidden units per layer.", DefaultValueFactory = _ => defaults.Hidden };
        public readonly Option<int> Layers = new("--layers") { Description = "Recurrent layers.", DefaultValueFactory = _ => defaults.Layers };
        public readonly Option<string> Optimizer = new("--optimizer") { Description = "sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw.", DefaultValueFactory = _ => defaults.Optimizer };
        public readonly Option<float> LearningRate = new("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        public readonly Option<int> Batch = new("--batch") { Description = "Sequences per optimizer step.", DefaultValueFactory = _ => defaults.BatchSize };
        public readonly Option<float> GradClip = new("--grad-clip") { Description = "Clip the global gradient norm to this (0: off).", DefaultValueFactory = _ => defaults.GradClip };
        public readonly Option<long> MaxSequences = new("--max-sequences") { Description = "Give up after this many training sequences.", DefaultValueFactory = _ => defaults.MaxSequences };
        public readonly Option<long> MaxSteps = new("--max-steps") { Description = "Give up after this many optimizer steps (default: no limit besides --max-sequences)." };
        public readonly Option<int> EvaluateEvery = new("--eval-every") { Description = "Steps between checks of the test sequences.", DefaultValueFactory = _ => defaults.EvaluateEvery };
        public readonly Option<int> Seed = new("--seed") { Description = "Seed of the weights and of the training sequences (test sequences use an independent stream).", DefaultValueFactory = _ => defaults.Seed };
        public readonly Option<int> Threads = new("--threads") { Description = "Threads for the matrix kernels and the batch-split time loops.", DefaultValueFactory = _ => Math.Min(2, Environment.ProcessorCount) };
        public readonly Option<string> Init = new("--init")
        {
            Description = "Gate biases for long lags (LSTM and GRU; RNNs have no gates): chrono (Tallec & Ollivier 2018: forget/update-gate bias log U[1, T_max−1], " +
                          "LSTM input-gate bias its negative, T_max the longest sequence), forget-bias (the forget/update-gate bias set to --forget-bias) or default (PyTorch's).",
            DefaultValueFactory = _ => TaskTrainingOptions.GateInitName(defaults.GateInit),
        };
        public readonly Option<float> ForgetBias = new("--forget-bias") { Description = "The forget-gate (GRU: update-gate) bias of --init forget-bias.", DefaultValueFactory = _ => defaults.ForgetBias };
        public readonly Option<string> Learner = new("--learner")
        {
            Description = "How gradients are computed: bptt (backpropagation through time, O(H²) per step) or rtrl (real-time recurrent learning: " +
                          $"exact gradients carried forward, 1-layer tanh RNN or LSTM only, O(H⁴) per step and O(H³) memory, at most {RtrlLearner.MaxHidden} units).",
            DefaultValueFactory = _ => defaults.Learner,
        };
        public readonly Option<int> TbpttStep = new("--tbptt-step")
        {
            Description = "bptt only: truncated BPTT(h; h′), the weights updated every h′ steps of the sequences, during the batch (0, default: once per batch, over the whole sequence).",
            DefaultValueFactory = _ => defaults.TbpttStep,
        };
        public readonly Option<int> TbpttWindow = new("--tbptt-window")
        {
            Description = "h of BPTT(h; h′): how many steps back each update's gradient flows, h ≥ h′ (0: h′).",
            DefaultValueFactory = _ => defaults.TbpttWindow,
        };
        public readonly Option<int> UpdateEvery = new("--update-every")
        {
            Description = "rtrl only: online learning, the weights updated (clipped, optimizer step) after every k steps with a loss, during the sequence; " +
                          "0 (default): once per batch, with the exact gradient.",
            DefaultValueFactory = _ => defaults.UpdateEvery,
        };

        /// <param name="includeCell">False where the command chooses the cells itself (longlag).</param>
        public void AddTo(Command command, bool includeCell = true)
        {
            if (includeCell) command.Options.Add(Cell);
            foreach (Option option in new Option[] { Hidden, Layers, Optimizer, LearningRate, Batch, GradClip, MaxSequences, MaxSteps, EvaluateEvery, Seed, Threads, Init, ForgetBias, Learner, UpdateEvery, TbpttStep, TbpttWindow })
                command.Options.Add(option);
        }

        /// <summary>The options as given, validated.</summary>
        public TaskTrainingOptions Read(ParseResult parse, CellKind? cell = null)
        {
            var options = new TaskTrainingOptions
            {
                Cell = cell ?? CellKinds.Parse(parse.GetValue(Cell)!),
                Hidden = parse.GetValue(Hidden),
                Layers = parse.GetValue(Layers),
                Optimizer = parse.GetValue(Optimizer)!.ToLowerInvariant(),
                LearningRate = parse.GetValue(LearningRate),
                BatchSize = parse.GetValue(Batch),
                GradClip = parse.GetValue(GradClip),
                MaxSequences = parse.GetValue(MaxSequences),
                MaxSteps = parse.GetResult(MaxSteps) is { Implicit: false } ? parse.GetValue(MaxSteps) : long.MaxValue,
                EvaluateEvery = parse.GetValue(EvaluateEvery),
                Seed = parse.GetValue(Seed),
                GateInit = TaskTrainingOptions.ParseGateInit(parse.GetValue(Init)!),
                ForgetBias = parse.GetValue(ForgetBias),
                Learner = parse.GetValue(Learner)!.ToLowerInvariant(),
                UpdateEvery = parse.GetValue(UpdateEvery),
                TbpttStep = parse.GetValue(TbpttStep),
                TbpttWindow = parse.GetValue(TbpttWindow),
                Threads = parse.GetValue(Threads),
            };
            options.Validate();
            TaskLearners.Create(options); // an unknown learner, or one that cannot train this model, is an error before any work
            return options;
        }
    }
}
