using System.Text.Json.Nodes;
using Carousel.Data;
using Carousel.Kernels;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Classification;

namespace Carousel.Tests.Training;

/// <summary>What the one training loop does for every model: divergence, elapsed time, threads, progress and cancellation.</summary>
public class TrainerTests
{
    private static List<LabelledText> Texts(int count, ulong seed)
    {
        var rng = new Rng(seed);
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var text = Enumerable.Range(0, 3 + rng.NextInt(6)).Select(_ => "ab"[rng.NextInt(2)]).ToArray();
            if (i % 2 == 0) text[rng.NextInt(text.Length)] = 'x';
            return new LabelledText(new string(text), i % 2 == 0 ? "x" : "none");
        })];
    }

    private static readonly ClassifierTrainingOptions Tiny = new()
    {
        Cell = CellKind.Gru, Hidden = 6, Embedding = 4, BatchSize = 8, Epochs = 2, LearningRate = 0.02f, Seed = 1, Threads = 1,
    };

    [Fact]
    public void ADivergingRunStopsNamingTheStepAndKeepsWhatWasSaved()
    {
        using var dir = new TempDirectory();
        var train = Texts(40, 1);
        var dev = Texts(10, 2);
        var training = new ClassifierTraining(Tiny with { Epochs = 1 }, train, dev);
        new Trainer<int[]>(training, training.Run(dir.Path)).Run();
        byte[] last = File.ReadAllBytes(LastCheckpoint.PathIn(dir.Path));
        byte[] best = File.ReadAllBytes(Path.Combine(dir.Path, ModelCheckpoint.FileName));

        // Continued at a rate that overflows: the loss, gradient or evaluation becomes infinite, the run stops at that step.
        var wild = new ClassifierTraining(Tiny with { Epochs = 3 }, train, dev);
        var run = wild.Run(dir.Path, LastCheckpoint.Load(dir.Path, ClassifierCheckpoint.Kind)) with { Optimizer = new("sgd", 1e38f), GradClip = 0 };
        var e = Assert.Throws<TrainingDivergedException>(() => new Trainer<int[]>(wild, run).Run());
        Assert.InRange(e.Step, 6, 3 * 5);
        Assert.Contains($"at step {e.Step}", e.Message);
        Assert.Equal(last, File.ReadAllBytes(LastCheckpoint.PathIn(dir.Path)));
        Assert.Equal(best, File.ReadAllBytes(Path.Combine(dir.Path, ModelCheckpoint.FileName)));
    }

    [Fact]
    public void ElapsedTimeContinuesAcrossAResume()
    {
        using var dir = new TempDirectory();
        var train = Texts(40, 1);
        var dev = Texts(10, 2);
        var first = new ClassifierTraining(Tiny with { Epochs = 1 }, train, dev);
        var summary = new Trainer<int[]>(first, first.Run(dir.Path)).Run();
        var saved = LastCheckpoint.Load(dir.Path, ClassifierCheckpoint.Kind);
        Assert.InRange(saved.Position.ElapsedSeconds, 1e-6, summary.ElapsedSeconds);

        var second = new ClassifierTraining(Tiny, train, dev);
        var resumed = new Trainer<int[]>(second, second.Run(dir.Path, saved)).Run();
        Assert.True(resumed.ElapsedSeconds > saved.Position.ElapsedSeconds);
        var lines = File.ReadAllLines(Path.Combine(dir.Path, MetricsLog.FileName)).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, lines.Count);
        Assert.True(lines[1]["elapsed_s"]!.GetValue<double>() >= lines[0]["elapsed_s"]!.GetValue<double>());
        Assert.Equal([5L, 10L], lines.Select(l => l["step"]!.GetValue<long>()));
    }

    [Fact]
    public void TheRunUsesItsThreadCountAndLeavesTheDefaultAlone()
    {
        int before = Gemm.MaxThreads;
        var probe = new ThreadProbe(new ClassifierTraining(Tiny with { Epochs = 1 }, Texts(16, 1), Texts(4, 2)));
        new Trainer<int[]>(probe, probe.Inner.Run(null) with { Threads = 3 }).Run();
        Assert.Equal([3], probe.Seen.Distinct());
        Assert.Equal(before, Gemm.MaxThreads);
    }

    [Fact]
    public void ProgressComesEveryStepOnTheTrainingThreadAndCancellationStopsWithThePositionSaved()
    {
        using var dir = new TempDirectory();
        var training = new ClassifierTraining(Tiny, Texts(40, 1), Texts(10, 2));
        using var stop = new CancellationTokenSource();
        var steps = new List<long>();
        int thread = Environment.CurrentManagedThreadId;
        var summary = new Trainer<int[]>(training, training.Run(dir.Path)).Run(new SynchronousProgress<TrainingProgress>(p =>
        {
            Assert.Equal(thread, Environment.CurrentManagedThreadId);
            steps.Add(p.Step);
            if (p.Step == 7) stop.Cancel();
        }), stop.Token);
        Assert.True(summary.Interrupted);
        Assert.Equal([1L, 2, 3, 4, 5, 6, 7], steps);
        Assert.Equal(7, LastCheckpoint.Load(dir.Path, ClassifierCheckpoint.Kind).Position.Step);
    }

    /// <summary>The classifier's training, noting the thread count the kernels see during each batch.</summary>
    private sealed class ThreadProbe(ClassifierTraining inner) : Trainable<int[]>
    {
        public ClassifierTraining Inner => inner;
        public List<int> Seen { get; } = [];
        public override IModule Model => inner.Model;
        public override IBatchSource<int[]> Batches => inner.Batches;
        public override string CheckpointKind => inner.CheckpointKind;
        public override RunIdentity Identity => inner.Identity;
        public override IReadOnlyDictionary<string, string> CheckpointMetadata(TrainingCursor at) => inner.CheckpointMetadata(at);

        public override BatchLoss TrainBatch(int[] batch)
        {
            Seen.Add(Gemm.MaxThreads);
            return inner.TrainBatch(batch);
        }
    }
}
