using System.Diagnostics;
using Carousel.Kernels;
using Carousel.Layers;
using Carousel.Optimizers;

namespace Carousel.Experiments.Tasks;

/// <summary>One model's training speed on a task: its size and the sequences and steps (T·B) trained per second.</summary>
/// <param name="Model">The model's --cell name (lstm, rnn, narx, jordan, ...).</param>
/// <param name="Hidden">Its hidden units.</param>
/// <param name="Parameters">Its weights, all of them.</param>
/// <param name="SequencesPerSecond">Training sequences per second: forward, loss, backward, clipping and the optimizer step.</param>
/// <param name="StepsPerSecond">Sequence steps (T·B per batch) per second.</param>
public sealed record TaskThroughputRow(string Model, int Hidden, int Parameters, double SequencesPerSecond, double StepsPerSecond);

/// <summary>
/// The training cost of the task models side by side: each model trains on one fixed batch of the task (forward, loss,
/// backward, clipping, optimizer step — what <see cref="TaskTrainer"/> does per batch, without the evaluations), after
/// warm-up batches, on the run's threads. <see cref="HiddenForParameters"/> sizes models to the same parameter count.
/// </summary>
public static class TaskThroughput
{
    /// <summary>Times <paramref name="batches"/> training batches of the model <paramref name="options"/> describe, after <paramref name="warmup"/> untimed ones.</summary>
    public static TaskThroughputRow Measure(SequenceTask task, TaskTrainingOptions options, int batches = 20, int warmup = 3)
    {
        SettingException.Require(batches > 0, "Steps", $"Steps must be positive, got {batches}.");
        var trainer = new TaskTrainer(task, options);
        var parameters = trainer.Network.NamedParameters();
        var update = new WeightUpdate(new OptimizerSettings(options.Optimizer, options.LearningRate).Create(parameters),
            [.. parameters.Select(p => p.Parameter)], options.GradClip);
        var batch = task.NextTrainingBatch(options.BatchSize);
        using var threads = Gemm.UseThreads(options.Threads);
        for (int i = 0; i < warmup; i++) { trainer.TrainBatch(batch); update.Apply(); }
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < batches; i++) { trainer.TrainBatch(batch); update.Apply(); }
        double seconds = clock.Elapsed.TotalSeconds;
        return new TaskThroughputRow(options.ModelName, options.Hidden, parameters.Sum(p => p.Parameter.Value.Length),
            batches * batch.BatchSize / seconds, (double)batches * batch.BatchSize * batch.Steps / seconds);
    }

    /// <summary>The hidden size (1..4096) that brings the model <paramref name="options"/> describes nearest to <paramref name="parameters"/> weights on <paramref name="task"/>.</summary>
    public static int HiddenForParameters(SequenceTask task, TaskTrainingOptions options, int parameters)
    {
        int Count(int hidden) => new TaskTrainer(task, options with { Hidden = hidden }).Network.Parameters().Sum(p => p.Value.Length);
        int low = 1, high = 4096;
        while (low < high) // the smallest hidden size with at least `parameters` weights (the count grows with it)
        {
            int mid = (low + high) / 2;
            if (Count(mid) >= parameters) high = mid; else low = mid + 1;
        }
        return low > 1 && parameters - Count(low - 1) < Count(low) - parameters ? low - 1 : low;
    }
}
