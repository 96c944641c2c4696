using Carousel.Data.Tasks;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Experiments;
using Xunit.Abstractions;

namespace Carousel.Tests.Experiments;

/// <summary>Short versions of `carousel anbncn` (about a second each): what they report agrees with checking the trained networks string by string.</summary>
public class AnBnCnExperimentTests(ITestOutputHelper output)
{
    [Fact]
    public void EveryVariantLearnsTheTrainingRangeAndTheReportedRangeIsWhatTheModelAccepts()
    {
        var options = new AnBnCnOptions(AnBnCnOptions.LstmVariants, [1], MaxUpdates: 3000, TestMax: 40);
        var progress = new List<AnBnCnProgress>();

        var runs = AnBnCnExperiment.Run(options, progress.Add);

        Assert.Equal(AnBnCnOptions.LstmVariants, runs.Select(r => r.Cell));
        foreach (var run in runs)
        {
            output.WriteLine($"{run.Cell.ToCliName()}: learned {run.Learned} after {run.UpdatesToLearn} updates, generalises to n ≤ {run.GeneralisationMax}");
            // Seed 1 learns n ≤ 10 within a few hundred online updates with every variant (about 400–800 measured).
            Assert.True(run.Learned, $"{run.Cell} did not learn n ≤ 10 in {run.UpdatesToLearn} updates");
            Assert.True(run.LearnedAtEnd);
            Assert.Equal(run.UpdatesToLearn, run.StringsSeen);   // online: one string per update
            Assert.Equal(0, run.UpdatesToLearn % options.EvaluateEvery);
            Assert.Equal(run.GeneralisationMax, DirectGeneralisationMax(run.Model, options.TestMax));
            Assert.InRange(run.GeneralisationMax, options.TrainMax, options.TestMax);
        }
        // The last report of each run is the check that found the training range learned.
        foreach (var run in runs)
        {
            var last = progress.Last(p => p.Cell == run.Cell);
            Assert.Equal((run.UpdatesToLearn, options.TrainMax), (last.Update, last.TrainingStringsRight));
        }
    }

    [Fact]
    public void ARunThatRunsOutOfUpdatesReportsNotLearnedAndWhatItDoesAccept()
    {
        var options = new AnBnCnOptions([CellKind.LstmPeephole], [2], MaxUpdates: 30, EvaluateEvery: 10, TestMax: 12, ExtraUpdates: 50);

        var run = Assert.Single(AnBnCnExperiment.Run(options));

        Assert.False(run.Learned);
        Assert.False(run.LearnedAtEnd);
        Assert.Equal(30, run.UpdatesToLearn);
        Assert.Equal(30, run.StringsSeen);   // no extra updates without learning
        Assert.True(run.GeneralisationMax < options.TrainMax);
        Assert.Equal(run.GeneralisationMax, DirectGeneralisationMax(run.Model, options.TestMax));
    }

    [Fact]
    public void ExtraUpdatesTrainOnAfterLearningAndBatchesCountTheirStrings()
    {
        var options = new AnBnCnOptions([CellKind.LstmNoForgetGate], [1], BatchSize: 4, MaxUpdates: 2000, ExtraUpdates: 25, TestMax: 20);

        var run = Assert.Single(AnBnCnExperiment.Run(options));

        Assert.True(run.Learned);
        // An epoch of n = 1..10 in batches of 4 is 4 + 4 + 2 strings.
        int updates = run.UpdatesToLearn + options.ExtraUpdates, epochs = updates / 3, rest = updates % 3;
        Assert.Equal(10 * epochs + (rest == 0 ? 0 : rest == 1 ? 4 : 8), run.StringsSeen);
        Assert.Equal(run.GeneralisationMax, DirectGeneralisationMax(run.Model, options.TestMax));
    }

    [Fact]
    public void ImpossibleOptionsAreRefused()
    {
        Assert.Throws<SettingException>(() => AnBnCnExperiment.Run(new AnBnCnOptions([CellKind.Gru], [1])));
        Assert.Throws<SettingException>(() => AnBnCnExperiment.Run(new AnBnCnOptions([], [1])));
        Assert.Throws<SettingException>(() => AnBnCnExperiment.Run(new AnBnCnOptions(AnBnCnOptions.LstmVariants, [])));
        Assert.ThrowsAny<ArgumentException>(() => AnBnCnExperiment.Run(new AnBnCnOptions() with { TestMax = 5 }));
        Assert.ThrowsAny<ArgumentException>(() => AnBnCnExperiment.Run(new AnBnCnOptions() with { ExtraUpdates = -1 }));
    }

    // Each string on its own (batch of one), judged by AnBnCn.Accepts: independent of the padded test batch of the experiment.
    private static int DirectGeneralisationMax(SequenceTagger model, int testMax)
    {
        var language = new AnBnCn(0);
        model.Training = false;
        for (int n = 1; n <= testMax; n++)
        {
            var batch = language.Encode([n]);
            var logits = model.Forward(batch.Inputs, batch.Lengths);
            var probabilities = logits.Data.Select(SigmoidBinaryCrossEntropy.Sigmoid).ToArray();
            if (!language.Accepts(n, probabilities)) return n - 1;
        }
        return testMax;
    }
}
