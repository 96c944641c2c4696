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
    public static Command Create() => new("task", "The long-time-lag benchmark tasks (adding, multiplication, temporal order, embedded Reber, aⁿbⁿcⁿ, latch, 2-sequence, parity, copy): list, show, train.")
    {
        List(), Show(), Train(), Bench(), Reach(),
    };

    private static Command Reach()
    {
        var taskName = new Argument<string>("task") { Description = "Task name (see `carousel task list`)." };
        var length = LengthOption();
        var cells = new Option<string>("--cells") { Description = "Comma-separated models: any --cell of `task train`; narx:D for output delays D (e.g. rnn,jordan,narx:3,narx:12,lstm).", DefaultValueFactory = _ => "rnn,jordan,narx:3,narx:6,narx:12,lstm" };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units of every model.", DefaultValueFactory = _ => 8 };
        var sequences = new Option<int>("--sequences") { Description = "Sequences the norms are averaged over.", DefaultValueFactory = _ => 64 };
        var train = new Option<long>("--train-sequences") { Description = "Train each model on up to this many sequences first (0: measure at initialisation).", DefaultValueFactory = _ => 0 };
        var lags = new Option<string>("--lags") { Description = "Comma-separated lags to print.", DefaultValueFactory = _ => "1,5,10,20,40,80" };
        var seed = new Option<int>("--seed") { Description = "Seed of the weights and the sequences.", DefaultValueFactory = _ => 1 };
        var command = new Command("reach",
            "How far back the error reaches: ‖∂L/∂x_t‖ at each lag before the last step, relative to lag 0, averaged over a batch of the task, per model.")
        {
            taskName, length, cells, hidden, sequences, train, lags, seed,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var task = TaskCatalog.Create(parse.GetValue(taskName)!, parse.GetValue(length), parse.GetValue(seed));
            int[] shown = [.. parse.GetValue(lags)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s =>
                int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int lag) ? lag : throw new UsageException($"--lags takes whole numbers ≥ 0, got '{s}'."))];
            Console.WriteLine($"{task.Name}{(task.Length is int l ? $" --length {l}" : "")}: ‖∂L/∂x_t‖ relative to the last step, mean over {parse.GetValue(sequences)} sequences" +
                              (parse.GetValue(train) > 0 ? $", after up to {parse.GetValue(train):N0} training sequences" : ", at initialisation") + ":");
            Console.WriteLine("| model | " + string.Join(" | ", shown.Select(s => $"lag {s}")) + " |");
            Console.WriteLine("|---|" + string.Concat(shown.Select(_ => "---|")));
            foreach (string name in parse.GetValue(cells)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                string[] parts = name.ToLowerInvariant().Split(':');
                NarxSettings? narx = parts[0] switch
                {
                    "jordan" => NarxSettings.Jordan,
                    "narx" => new NarxSettings(0, parts.Length > 1 && int.TryParse(parts[1], out int d) ? d : NarxSettings.DefaultOutputDelays),
                    _ => null,
                };
                var options = new TaskTrainingOptions
                {
                    Narx = narx, Cell = narx is null ? CellKinds.Parse(parts[0]) : CellKind.RnnTanh, Hidden = parse.GetValue(hidden), Seed = parse.GetValue(seed), Threads = 1,
                };
                var norms = GradientReach.Measure(task, options, parse.GetValue(sequences), parse.GetValue(train));
                Console.WriteLine($"| {name} | " + string.Join(" | ", shown.Select(s => s < norms.Length ? norms[s].ToString("0.0e0", CultureInfo.InvariantCulture) : "–")) + " |");
            }
            return 0;
        }));
        return command;
    }

    private static Command Bench()
    {
        var taskName = new Argument<string>("task") { Description = "Task name (see `carousel task list`)." };
        var length = LengthOption();
        var cells = new Option<string>("--cells") { Description = "Comma-separated models to time: any --cell of `task train` (lstm, gru, rnn, narx, jordan, ...).", DefaultValueFactory = _ => "lstm,rnn,jordan,narx" };
        var parameters = new Option<int>("--parameters") { Description = "Size every model to about this many weights (0: --hidden for all).", DefaultValueFactory = _ => 0 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units of every model when --parameters is 0.", DefaultValueFactory = _ => 64 };
        var inputDelays = new Option<int>("--input-delays") { Description = "narx: past inputs the hidden layer sees.", DefaultValueFactory = _ => NarxSettings.DefaultInputDelays };
        var outputDelays = new Option<int>("--output-delays") { Description = "narx: past outputs the hidden layer sees.", DefaultValueFactory = _ => NarxSettings.DefaultOutputDelays };
        var batch = new Option<int>("--batch") { Description = "Sequences per batch.", DefaultValueFactory = _ => 64 };
        var steps = new Option<int>("--steps") { Description = "Timed training batches per model (after 3 untimed).", DefaultValueFactory = _ => 20 };
        var threads = new Option<int>("--threads") { Description = "Threads for the matrix kernels.", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "Seed of the weights and the batch.", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON line per model instead of the table." };
        var command = new Command("bench",
            "Training throughput of the task models side by side (forward, loss, backward, clipping, Adam step on one fixed batch of the task; " +
            "no evaluations), optionally each sized to the same parameter count.")
        {
            taskName, length, cells, parameters, hidden, inputDelays, outputDelays, batch, steps, threads, seed, json,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var task = TaskCatalog.Create(parse.GetValue(taskName)!, parse.GetValue(length), parse.GetValue(seed));
            int target = parse.GetValue(parameters);
            if (target < 0) throw new UsageException($"--parameters must be ≥ 0, got {target}.");
            var rows = new List<TaskThroughputRow>();
            foreach (string name in parse.GetValue(cells)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                string cell = name.ToLowerInvariant();
                var options = new TaskTrainingOptions
                {
                    Narx = cell == "jordan" ? NarxSettings.Jordan : cell == "narx" ? new NarxSettings(parse.GetValue(inputDelays), parse.GetValue(outputDelays)) : null,
                    Cell = cell is "narx" or "jordan" ? CellKind.RnnTanh : CellKinds.Parse(cell),
                    Hidden = parse.GetValue(hidden), BatchSize = parse.GetValue(batch), Threads = parse.GetValue(threads), Seed = parse.GetValue(seed),
                };
                options.Validate();
                if (target > 0) options = options with { Hidden = TaskThroughput.HiddenForParameters(task, options, target) };
                var row = TaskThroughput.Measure(task, options, parse.GetValue(steps));
                rows.Add(row);
                if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(row));
            }
            if (!parse.GetValue(json))
            {
                var lstm = rows.FirstOrDefault(r => r.Model == "lstm");
                Console.WriteLine($"{task.Name}{(task.Length is int l ? $" --length {l}" : "")}, batch {parse.GetValue(batch)}, {parse.GetValue(threads)} thread(s), {parse.GetValue(steps)} timed batches:");
                Console.WriteLine("| model | hidden | parameters | sequences/s | steps/s |" + (lstm is null ? "" : " vs LSTM |"));
                Console.WriteLine("|---|---|---|---|---|" + (lstm is null ? "" : "---|"));
                foreach (var r in rows)
                    Console.WriteLine($"| {r.Model} | {r.Hidden} | {r.Parameters:N0} | {r.SequencesPerSecond:N0} | {r.StepsPerSecond:N0} |" +
                                      (lstm is null ? "" : $" {(r.SequencesPerSecond / lstm.SequencesPerSecond).ToString("0.00", CultureInfo.InvariantCulture)}× |"));
            }
            return 0;
        }));
        return command;
    }

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
                Console.Error.WriteLine($"warning: --learner rtrl costs O(H⁴) per step: {options.ModelName} with {options.Hidden} units does " +
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
        new("--length") { Description = "The task's length (adding, multiplication: T, at least 22; anbncn: N; latch, two-sequence, parity: T, lengths T..T+T/5; copy: the delay). See `carousel task list`." };

    /// <summary>E.g. "lstm 1×64, chrono init, adam lr 0.01, batch 64, clip 1, bptt, at most 100,000 sequences"
    /// ("rtrl online (weights updated every 1 step with a loss)" for an online learner).</summary>
    internal static string Describe(TaskTrainingOptions o, TaskTrainer trainer) =>
        (o.Narx is { } narx
            ? $"{narx.ModelName} {o.Hidden} tanh units, {narx.InputDelays} input and {narx.OutputDelays} output delays{(narx.TeacherForcing ? ", teacher forcing" : "")}, {trainer.Narx!.Options.Feedback.ToString().ToLowerInvariant()} outputs fed back"
            : $"{o.Cell.ToCliName()} {o.Layers}×{o.Hidden}, " +
              (o.RecurrentInit == "pytorch" ? "" : o.RecurrentInit == "echo-state"
                  ? FormattableString.Invariant($"echo-state weights (spectral radius {o.SpectralRadius}, inputs σ {o.InputScale}), ") : $"{o.RecurrentInit} weights, ") +
              $"{TaskTrainingOptions.GateInitName(trainer.AppliedGateInit)} init") +
        (trainer.AppliedGateInit == GateInitialization.ForgetBias ? $" {o.ForgetBias.ToString(CultureInfo.InvariantCulture)}" : "") +
        (o.IsHessianFree
            ? FormattableString.Invariant($", hf: gradient batch {o.BatchSize}, curvature batch {o.CurvatureRows}, λ₀ {o.HessianFree.InitialDamping}, μ {o.HessianFree.StructuralDamping}, CG {o.HessianFree.MinCgIterations}–{o.HessianFree.MaxCgIterations} iterations from {o.HessianFree.CgDecay} × the last")
            : $", {o.Optimizer} lr {o.LearningRate.ToString(CultureInfo.InvariantCulture)}" +
              (o.Optimizer is "momentum" or "nesterov" ? (o.MomentumSchedule.IsScheduled ? FormattableString.Invariant($" (μ by Sutskever's schedule, at most {o.MomentumSchedule.Maximum})") : FormattableString.Invariant($" (μ {o.Momentum})")) : "") +
              $", batch {o.BatchSize}, " +
              (o.GradClip > 0 ? $"clip {o.GradClip.ToString(CultureInfo.InvariantCulture)}" : "no clipping")) +
        (o.IsHessianFree ? "" : $", {o.Learner}") + (o.UpdateEvery > 0 ? $" online (weights updated every {o.UpdateEvery} step{(o.UpdateEvery == 1 ? "" : "s")} with a loss)" : "") +
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
        if (task.TestLossName is { } lossName && r.LastEvaluation is { } last) summary["test_" + lossName] = Math.Round(last.TestLoss, 6);
        if (o.ClockPeriods is { } periods) summary["clock_periods"] = string.Join(",", periods);
        if (o.Narx is { } narx) { summary["input_delays"] = narx.InputDelays; summary["output_delays"] = narx.OutputDelays; summary["teacher_forcing"] = narx.TeacherForcing; summary["parameters"] = trainer.Network.NamedParameters().Sum(p => p.Parameter.Value.Length); }
        if (o.TbpttStep > 0) { summary["tbptt_step"] = o.TbpttStep; summary["tbptt_window"] = o.TbpttWindow > 0 ? o.TbpttWindow : o.TbpttStep; }
        if (o.Optimizer is "momentum" or "nesterov") { summary["momentum"] = o.Momentum; summary["momentum_schedule"] = o.MomentumSchedule.Name; summary["momentum_max"] = o.MomentumSchedule.Maximum; }
        if (o.RecurrentInit != "pytorch") summary["recurrent_init"] = o.RecurrentInit;
        if (o.RecurrentInit == "echo-state") { summary["spectral_radius"] = o.SpectralRadius; summary["input_scale"] = o.InputScale; }
        if (trainer.Learner is HessianFreeLearner hf)
        {
            summary["curvature_batch"] = o.CurvatureRows;
            summary["hf_damping"] = o.HessianFree.InitialDamping;
            summary["hf_structural_damping"] = o.HessianFree.StructuralDamping;
            summary["hf_cg_decay"] = o.HessianFree.CgDecay;
            summary["hf_max_cg"] = o.HessianFree.MaxCgIterations;
            summary["hf_final_damping"] = Math.Round(hf.Damping, 6);
            summary["cg_iterations"] = hf.CgIterations;
        }
        return summary;
    }

    private static Dictionary<string, object?> FullSummary(SequenceTask task, TaskTrainingOptions o, TaskTrainer trainer, TaskResult r) => new()
    {
        ["task"] = task.Name,
        ["length"] = task.Length,
        ["cell"] = o.ModelName,
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

        public readonly CellStructureOptions Structure = new();
        public readonly Option<string> Cell = new("--cell")
        {
            Description = CellKinds.CliNames + "; or narx (Lin et al. 1996: the hidden layer sees --input-delays past inputs and --output-delays past outputs) " +
                          "or jordan (the previous output fed back: narx with no input delays and one output delay).",
            DefaultValueFactory = _ => "lstm",
        };
        public readonly Option<int> InputDelays = new("--input-delays")
        {
            Description = $"narx: the hidden layer sees x_t … x_(t−a), a past inputs besides the current one (default {NarxSettings.DefaultInputDelays}).",
            DefaultValueFactory = _ => NarxSettings.DefaultInputDelays,
        };
        public readonly Option<int> OutputDelays = new("--output-delays")
        {
            Description = $"narx: the hidden layer sees the outputs y_(t−1) … y_(t−b) (default {NarxSettings.DefaultOutputDelays}); each delay of d lets the gradient jump d steps.",
            DefaultValueFactory = _ => NarxSettings.DefaultOutputDelays,
        };
        public readonly Option<bool> TeacherForcing = new("--teacher-forcing")
        {
            Description = "narx, jordan: feed back the target instead of the output wherever the task has one before its last step (reber, anbncn, copy).",
        };
        public readonly Option<int> Hidden = new("--hidden") { Description = "Hidden units per layer.", DefaultValueFactory = _ => defaults.Hidden };
        public readonly Option<int> Layers = new("--layers") { Description = "Recurrent layers.", DefaultValueFactory = _ => defaults.Layers };
        public readonly Option<string> Optimizer = new("--optimizer")
        {
            Description = "sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw; or hf: Hessian-free (Martens 2010; Martens & Sutskever 2011), " +
                          "one step per batch (--batch is the gradient batch, --curvature-batch its curvature part; the --hf-* knobs; --lr and --grad-clip unused), 1-layer rnn or lstm.",
            DefaultValueFactory = _ => defaults.Optimizer,
        };
        public readonly Option<float> Momentum = new("--momentum") { Description = "μ of --optimizer momentum and nesterov (with --momentum-schedule sutskever: ignored, the schedule gives μ).", DefaultValueFactory = _ => defaults.Momentum };
        public readonly Option<string> MomentumSchedule = new("--momentum-schedule")
        {
            Description = "momentum, nesterov: constant (--momentum throughout) or sutskever (Sutskever et al. 2013: μ_t = min(1 − 2^(−1 − log₂(⌊t/250⌋ + 1)), --momentum-max)).",
            DefaultValueFactory = _ => defaults.MomentumSchedule.Name,
        };
        public readonly Option<float> MomentumMax = new("--momentum-max") { Description = "The cap μ_max of --momentum-schedule sutskever.", DefaultValueFactory = _ => defaults.MomentumSchedule.Maximum };
        public readonly Option<string> RecurrentInit = new("--recurrent-init")
        {
            Description = "How the recurrent weights are drawn: pytorch (U(−1/√H, 1/√H)), xavier, orthogonal, or echo-state (Sutskever et al. 2013: each gate block " +
                          $"of W_hh with {TaskTrainingOptions.EchoStateConnections} N(0, 1) non-zeros per row, scaled to --spectral-radius; W_ih N(0, --input-scale²); biases zero).",
            DefaultValueFactory = _ => defaults.RecurrentInit,
        };
        public readonly Option<float> SpectralRadius = new("--spectral-radius") { Description = "echo-state: the exact spectral radius of each W_hh gate block.", DefaultValueFactory = _ => defaults.SpectralRadius };
        public readonly Option<float> InputScale = new("--input-scale") { Description = "echo-state: the standard deviation of W_ih.", DefaultValueFactory = _ => defaults.InputScale };
        public readonly Option<int> CurvatureBatch = new("--curvature-batch") { Description = "hf: the sequences of each batch the Gauss-Newton products use, its first ones (0: a fifth of --batch).", DefaultValueFactory = _ => defaults.CurvatureBatch };
        public readonly Option<float> HfDamping = new("--hf-damping") { Description = "hf: the initial Levenberg–Marquardt damping λ (then ×3/2 when ρ < 1/4, ×2/3 when ρ > 3/4).", DefaultValueFactory = _ => defaults.HessianFree.InitialDamping };
        public readonly Option<float> HfStructuralDamping = new("--hf-structural-damping") { Description = "hf: μ, structural damping λ·μ on the changes of the hidden states (0: off).", DefaultValueFactory = _ => defaults.HessianFree.StructuralDamping };
        public readonly Option<float> HfCgDecay = new("--hf-cg-decay") { Description = "hf: CG starts from this times the previous step's solution (0: from zero).", DefaultValueFactory = _ => defaults.HessianFree.CgDecay };
        public readonly Option<int> HfMaxCg = new("--hf-max-cg") { Description = "hf: the most CG iterations per step.", DefaultValueFactory = _ => defaults.HessianFree.MaxCgIterations };
        public readonly Option<int> HfMinCg = new("--hf-min-cg") { Description = "hf: the fewest CG iterations per step.", DefaultValueFactory = _ => defaults.HessianFree.MinCgIterations };
        public readonly Option<float> HfCgTolerance = new("--hf-cg-tolerance") { Description = "hf: ε of Martens' CG stopping test (relative progress over the last max(10, 0.1·i) iterations below k·ε).", DefaultValueFactory = _ => defaults.HessianFree.CgTolerance };
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
            if (includeCell)
                foreach (Option option in (Option[])[Cell, InputDelays, OutputDelays, TeacherForcing, .. Structure.All]) command.Options.Add(option);
            foreach (Option option in new Option[] { Hidden, Layers, Optimizer, LearningRate, Batch, GradClip, MaxSequences, MaxSteps, EvaluateEvery, Seed, Threads, Init, ForgetBias, Learner, UpdateEvery, TbpttStep, TbpttWindow,
                                                     Momentum, MomentumSchedule, MomentumMax, RecurrentInit, SpectralRadius, InputScale, CurvatureBatch, HfDamping, HfStructuralDamping, HfCgDecay, HfMaxCg, HfMinCg, HfCgTolerance })
                command.Options.Add(option);
        }

        /// <summary>The options as given, validated.</summary>
        public TaskTrainingOptions Read(ParseResult parse, CellKind? cell = null)
        {
            string cellName = cell is null ? parse.GetValue(Cell)!.ToLowerInvariant() : "";
            NarxSettings? narx = null;
            if (cellName is "narx" or "jordan")
            {
                bool delaysGiven = parse.GetResult(InputDelays) is { Implicit: false } || parse.GetResult(OutputDelays) is { Implicit: false };
                if (cellName == "jordan" && delaysGiven)
                    throw new UsageException("--cell jordan has no input delays and one output delay; for other delays use --cell narx.");
                narx = cellName == "jordan" ? NarxSettings.Jordan : new NarxSettings(parse.GetValue(InputDelays), parse.GetValue(OutputDelays));
                narx = narx with { TeacherForcing = parse.GetValue(TeacherForcing) };
            }
            else if (cell is null && (parse.GetResult(InputDelays) is { Implicit: false } || parse.GetResult(OutputDelays) is { Implicit: false } || parse.GetValue(TeacherForcing)))
                throw new UsageException("--input-delays, --output-delays and --teacher-forcing belong to --cell narx or jordan.");
            var cellKind = cell ?? (narx is null ? CellKinds.Parse(cellName) : CellKind.RnnTanh);
            var (periods, window) = cell is null ? Structure.Read(parse, cellKind) : (null, null);
            var options = new TaskTrainingOptions
            {
                Narx = narx,
                Cell = cellKind,
                ClockPeriods = periods,
                TimeDelay = window,
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
                CurvatureBatch = parse.GetValue(CurvatureBatch),
                RecurrentInit = parse.GetValue(RecurrentInit)!.ToLowerInvariant(),
                Momentum = parse.GetValue(Momentum),
                MomentumSchedule = new Carousel.Optimizers.MomentumSchedule(parse.GetValue(MomentumSchedule)!.ToLowerInvariant(), parse.GetValue(MomentumMax)),
                SpectralRadius = parse.GetValue(SpectralRadius),
                InputScale = parse.GetValue(InputScale),
                HessianFree = new Carousel.Optimizers.HessianFreeSettings
                {
                    InitialDamping = parse.GetValue(HfDamping),
                    StructuralDamping = parse.GetValue(HfStructuralDamping),
                    CgDecay = parse.GetValue(HfCgDecay),
                    MaxCgIterations = parse.GetValue(HfMaxCg),
                    MinCgIterations = parse.GetValue(HfMinCg),
                    CgTolerance = parse.GetValue(HfCgTolerance),
                },
            };
            options.Validate();
            TaskLearners.Create(options); // an unknown learner, or one that cannot train this model, is an error before any work
            return options;
        }
    }
}
