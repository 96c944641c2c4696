using System.CommandLine;
using Carousel.Optimizers;
using Carousel.Training;

namespace Carousel.Cli.Commands;

/// <summary>
/// The training-loop options of every train command, declared once: --optimizer, --lr, --momentum, --weight-decay,
/// --grad-clip, --clip-by-value, --learned-initial-state, --batch-size, --seed, --threads and the schedule's (<see cref="ScheduleOptions"/>), read into the
/// command's <see cref="TrainingLoopSettings"/>. Only the defaults and the name of one example differ between commands.
/// </summary>
/// <param name="examples">What a batch is made of, plural: "texts", "pairs", ... (for the descriptions).</param>
/// <param name="lengthBuckets">Whether batches group examples of similar length (the task trainers), for --batch-size's description.</param>
internal sealed class TrainingLoopOptions(TrainingLoopSettings defaults, string examples, bool lengthBuckets = true)
{
    public readonly Option<string> Optimizer = new("--optimizer") { Description = $"{OptimizerSettings.Names}.", DefaultValueFactory = _ => defaults.Optimizer };
    public readonly Option<float> LearningRate = new("--lr") { Description = "Learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
    public readonly Option<float> Momentum = new("--momentum") { Description = "Momentum for momentum and nesterov.", DefaultValueFactory = _ => defaults.Momentum };
    public readonly Option<float> WeightDecay = new("--weight-decay") { Description = "Weight decay (decoupled for adamw; 0 there means 0.01).", DefaultValueFactory = _ => defaults.WeightDecay };
    public readonly Option<float> GradClip = new("--grad-clip") { Description = "Clip the global gradient norm to this (0: off).", DefaultValueFactory = _ => defaults.GradClip };
    public readonly Option<int> BatchSize = new("--batch-size")
    {
        Description = $"{char.ToUpperInvariant(examples[0])}{examples[1..]} per batch{(lengthBuckets ? $" (batches group {examples} of similar length)" : "")}.",
        DefaultValueFactory = _ => defaults.BatchSize,
    };
    public readonly Option<ulong> Seed = new("--seed") { Description = "Random seed (weights, batches, dropout and any random dev split).", DefaultValueFactory = _ => defaults.Seed };
    public readonly Option<int> Threads = new("--threads") { Description = "Threads for the matrix kernels.", DefaultValueFactory = _ => defaults.Threads };
    public readonly Option<bool> ClipByValue = new("--clip-by-value") { Description = "Clip each gradient element to ±--grad-clip instead of the global norm." };
    public readonly Option<bool> LearnedInitialState = new("--learned-initial-state") { Description = "Start sequences from a learned initial state (initial_h_l*, initial_c_l*) instead of zeros." };
    public readonly ScheduleOptions Schedule = new(defaults.ScheduleSettings);
    public readonly Option<bool> Distributed = Distribution.CreateOption();

    public IEnumerable<Option> All => [Optimizer, LearningRate, Momentum, WeightDecay, GradClip, ClipByValue, BatchSize, Seed, Threads, LearnedInitialState, Distributed, .. Schedule.All];

    /// <summary>--epochs, where a run's length is counted in passes over the training data (whole or, for the tagger, fractional).</summary>
    public Option<TEpochs> Epochs<TEpochs>(TEpochs defaultValue) =>
        new("--epochs") { Description = $"Passes over the training {examples}.", DefaultValueFactory = _ => defaultValue };

    /// <summary>
    /// <paramref name="options"/> (the command's own fields set) with the training-loop fields the command line asks for;
    /// an impossible schedule is a <see cref="SettingException"/>, the rest is checked by <see cref="TrainingLoopSettings.Validate"/>.
    /// </summary>
    public T Read<T>(ParseResult parse, T options) where T : TrainingLoopSettings => (T)((TrainingLoopSettings)options with
    {
        Optimizer = parse.GetValue(Optimizer)!.ToLowerInvariant(),
        LearningRate = parse.GetValue(LearningRate),
        Momentum = parse.GetValue(Momentum),
        WeightDecay = parse.GetValue(WeightDecay),
        GradClip = parse.GetValue(GradClip),
        BatchSize = parse.GetValue(BatchSize),
        Seed = parse.GetValue(Seed),
        Threads = parse.GetValue(Threads),
        ClipByValue = parse.GetValue(ClipByValue),
        LearnedInitialState = parse.GetValue(LearnedInitialState),
        ScheduleSettings = Schedule.Read(parse),
    });
}
