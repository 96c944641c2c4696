using Carousel.Experiments;
using Xunit.Abstractions;

namespace Carousel.Tests.Experiments;

/// <summary>
/// Short versions of `carousel demo` (a few seconds): they check that training makes real progress on the
/// embedded Reber grammar and that stuck trials restart, not that the grammar is fully learned.
/// </summary>
public class EmbeddedReberExperimentTests(ITestOutputHelper output)
{
    [Fact]
    public void AFewHundredBatchesCutTheLossAndGetManyHeldOutStringsRight()
    {
        // The first 400 batches of the demo's first trial (the full run of seed 1 learns the grammar after about 700).
        var options = new EmbeddedReberOptions(MaxSteps: 400, EvaluateEvery: 50, Seed: 1);
        var reports = new List<EmbeddedReberProgress>();

        var result = EmbeddedReberExperiment.Run(options, reports.Add);

        foreach (var r in reports) output.WriteLine($"step {r.Step}: loss {r.TrainLoss:F4}, held-out strings right {r.TestShare:P1}");
        Assert.Equal(1, result.Trials);
        Assert.Equal(400, result.Steps);
        // An untrained network starts near ln 2 ≈ 0.69 per output. Predicting every legal set except the
        // remembered T/P at the end brings the loss to about 0.012 and gets roughly half the strings right
        // (the T/P guess is a coin flip); remembering it takes the rest.
        Assert.True(reports[0].TrainLoss > 0.2, $"first reported loss {reports[0].TrainLoss:F4}");
        Assert.True(reports[^1].TrainLoss < 0.03, $"final loss {reports[^1].TrainLoss:F4}");
        Assert.Equal(0.0, reports[0].TestShare);
        double best = reports.Max(r => r.TestShare);
        Assert.True(best >= 0.4, $"at best {best:P1} of held-out strings right in {result.Steps} batches");
    }

    [Fact]
    public void ATrialThatHasNotLearnedRestartsFromFreshWeights()
    {
        var options = new EmbeddedReberOptions(MaxSteps: 120, TrialSteps: 50, EvaluateEvery: 25, Seed: 1);
        var reports = new List<EmbeddedReberProgress>();

        var result = EmbeddedReberExperiment.Run(options, reports.Add);

        Assert.False(result.Learned);
        Assert.Equal(120, result.Steps);
        Assert.Equal(3, result.Trials);   // 50 + 50 + the remaining 20 batches
        Assert.Equal([1, 1, 2, 2, 3], reports.Select(r => r.Trial));
        Assert.Equal([25, 50, 75, 100, 120], reports.Select(r => r.Step));
        Assert.Equal(120 * options.BatchSize, result.TrainingStrings);
        // Fresh weights: the second trial starts from a high loss again.
        Assert.True(reports[2].TrainLoss > reports[1].TrainLoss, $"{reports[2].TrainLoss:F4} vs {reports[1].TrainLoss:F4}");
    }
}
