using Carousel.Data;
using Carousel.IO;
using Carousel.Layers.Recurrent;
using Carousel.Optimizers;
using Carousel.Training;
using Carousel.Training.Char;
using Carousel.Training.Classification;

namespace Carousel.Tests.Training;

/// <summary>
/// A run is checked against the memory it will need before anything is built: the estimate follows what a run really
/// allocates, and one that cannot fit is refused naming its settings and the memory needed and available (tested with a
/// small limit: nothing here allocates more than a few megabytes).
/// </summary>
public class MemoryEstimateTests
{
    private static CharTrainingOptions Medium => new()
    {
        Hidden = 96, Layers = 2, SeqLength = 40, BatchSize = 16, Steps = 2, EvalEvery = 100, ValFraction = 0.05, Threads = 1, Seed = 3,
    };

    /// <summary>Measured on the thread that builds and trains: the estimate is within a third of what the run allocates.</summary>
    [Fact]
    public void TheEstimateOfACharRunIsCloseToWhatTheRunAllocates()
    {
        var corpus = TextCorpus.FromText(TempDirectory.SampleText(60), 0.05, Medium.SeqLength + 1);
        double estimate = CharTraining.MemoryNeeded(Medium, corpus.Vocabulary.Count).Bytes;
        long before = GC.GetAllocatedBytesForCurrentThread();
        var training = new CharTraining(corpus, Medium);
        new Trainer<TextBatch>(training, training.Run(null)).Run();
        double allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(estimate / allocated is > 0.75 and < 1.33, $"estimated {estimate:N0} bytes, allocated {allocated:N0}");
    }

    [Fact]
    public void WeightsGrowWithTheOptimizersState()
    {
        var rnn = new RecurrentOptions(CellKind.Lstm, 10, 20);
        Assert.Equal(4 * 20 * (10 + 20) + 2 * 4 * 20, rnn.ParameterCount());
        double Bytes(string optimizer) => new MemoryEstimate().Weights(1000, new OptimizerSettings(optimizer, 0.1f), "w", "Hidden").Bytes;
        Assert.Equal(2 * 4000.0, Bytes("sgd"));
        Assert.Equal(3 * 4000.0, Bytes("momentum"));
        Assert.Equal(4 * 4000.0, Bytes("adam"));
    }

    [Fact]
    public void ARunThatDoesNotFitNamesItsSettingsAndTheMemory()
    {
        var options = Medium with { Hidden = 5000 };
        var estimate = CharTraining.MemoryNeeded(options, 60);
        var e = Assert.Throws<SettingException>(() => estimate.Check(new MemoryLimit(1_638_400_000, 4_096_000_000)));
        Assert.Equal("Hidden", e.Setting);
        Assert.Contains("Layers", e.Settings);
        Assert.Contains("BatchSize", e.Settings);
        Assert.StartsWith($"This run needs about {MemoryLimit.Format(estimate.Bytes)} of memory (the weights of Hidden 5000 × Layers 2", e.Message);
        Assert.Contains("more than the 1.6 GB (two fifths of its address-space limit of 4.1 GB) this process may use; lower Hidden, Layers or Embedding.", e.Message);
        estimate.Check(new MemoryLimit((long)estimate.Bytes + 1)); // fits just
    }

    [Fact]
    public void ActivationsThatDoNotFitNameTheBatch()
    {
        var estimate = CharTraining.MemoryNeeded(Medium with { Hidden = 64, BatchSize = 100_000 }, 60);
        var e = Assert.Throws<SettingException>(() => estimate.Check(new MemoryLimit(1_000_000_000)));
        Assert.Equal("BatchSize", e.Setting);
        Assert.Contains("the activations of BatchSize 100000 × SeqLength 40 steps", e.Message);
    }

    [Fact]
    public void AnArrayBeyondWhatAnArrayCanHoldIsRefusedWhateverTheMemory()
    {
        var estimate = CharTraining.MemoryNeeded(Medium with { BatchSize = 1_000_000 }, 60);
        var e = Assert.Throws<SettingException>(() => estimate.Check(new MemoryLimit(long.MaxValue)));
        Assert.Equal("BatchSize", e.Setting);
        Assert.Contains("The activations of BatchSize 1000000 × SeqLength 40 steps would need an array of", e.Message);
        Assert.Contains("more than one array can hold", e.Message);
    }

    [Fact]
    public void ATrainerChecksBeforeItBuildsItsModel()
    {
        // 200 layers of 20,000 units: about 10¹² weights, refused at once (building them would take terabytes).
        var options = new ClassifierTrainingOptions { Hidden = 20_000, Layers = 200 };
        LabelledText[] data = [new("ab", "x"), new("ba", "y")];
        var e = Assert.Throws<SettingException>(() => new ClassifierTraining(options, data, data));
        Assert.Equal("Hidden", e.Setting);
        Assert.Contains("TB", e.Message);
    }

    [Fact]
    public void TheLimitOfThisProcessIsAtMostTheGarbageCollectorsMemory()
    {
        var limit = MemoryLimit.OfThisProcess();
        Assert.InRange(limit.Bytes, 1, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        if (limit.AddressSpaceLimit is { } addressSpace) Assert.True(limit.Bytes <= addressSpace / 5 * 2);
    }
}
