using Xunit;
using Carousel.Experiments.Guessing;
using Carousel.Experiments.Tasks;
using Carousel.Tensors;

namespace Carousel.Tests.Experiments;

public class WeightGuessingTests
{
    [Fact]
    public void ForwardIsTheFullyRecurrentUpdateOfThePapers()
    {
        var task = TaskCatalog.Create("parity", 3, 1);
        var net = GuessingNets.Create("a1", task, hidden: 2); // units: h0, h1, output
        var rng = new Rng(4);
        foreach (var (_, p) in net.NamedParameters()) rng.FillUniform(p.Value.Data, -1.5f, 1.5f);
        var batch = task.NextTrainingBatch(3);
        var outputs = net.Forward(batch.Inputs, batch.Lengths).Data;
        float[] wIn = net.WeightIn.Data, wRec = net.WeightRec.Data, bias = net.Bias.Data;
        for (int b = 0; b < 3; b++)
        {
            var a = new double[3];
            for (int t = 0; t < batch.Lengths[b]; t++)
            {
                double x = batch.Inputs.Data[t * 3 + b];
                // Units in order, each seeing this step's activations of the units before it.
                double h0 = Math.Tanh(bias[0] + wIn[0] * x + wRec[0] * a[0] + wRec[1] * a[1] + wRec[2] * a[2]);
                double h1 = Math.Tanh(bias[1] + wIn[1] * x + wRec[3] * h0 + wRec[4] * a[1] + wRec[5] * a[2]);
                double net2 = bias[2] + wIn[2] * x + wRec[6] * h0 + wRec[7] * h1 + wRec[8] * a[2];
                a = [h0, h1, 1 / (1 + Math.Exp(-net2))];
                Assert.Equal(net2, outputs[t * 3 + b], 4);
            }
        }
    }

    [Theory]
    [InlineData("latch-1", "unit", 0, 3)]
    [InlineData("latch", "unit", 0, 3)]
    [InlineData("parity", "a1", 1, 8)]     // 2 units × (input + 2 units + bias)
    [InlineData("parity", "a2", 10, 52)]   // 10 hidden × (input, itself, output, bias) + output × (input, 10 hidden, bias)
    public void ArchitecturesHaveThePapersFreeWeights(string taskName, string architecture, int hidden, int free)
    {
        var net = GuessingNets.Create(architecture, TaskCatalog.Create(taskName, 10, 1), hidden);
        Assert.Equal(free, net.FreeCount);
    }

    [Fact]
    public void GuessesDrawOnlyTheFreeWeightsWithinTheRange()
    {
        var guesser = new WeightGuessing(TaskCatalog.Create("latch-1", 10, 1), new GuessingOptions { Range = 7, TrainingSequences = 4 });
        for (int i = 0; i < 20; i++)
        {
            guesser.Guess();
            Assert.Equal(1f, guesser.Net.WeightIn.Data[0]);   // the noise comes in with weight 1
            Assert.Equal(0f, guesser.Net.Bias.Data[0]);       // no bias
            Assert.InRange(guesser.Net.WeightIn.Data[1], -7f, 7f);
            Assert.InRange(guesser.Net.WeightRec.Data[0], -7f, 7f);
        }
        Assert.NotEqual(0f, guesser.Net.WeightIn.Data[2]);
    }

    [Theory]
    [InlineData("latch", 1)]
    [InlineData("two-sequence", 2)]
    [InlineData("parity", 3)]
    public void GuessingStopsAtTheFirstGuessThatGetsEveryTrainingSequenceRight(string taskName, int seed)
    {
        var options = new GuessingOptions { Seed = seed, MaxTrials = 20_000, TrainingSequences = 20, Chunk = 3 };
        var result = new WeightGuessing(TaskCatalog.Create(taskName, 12, seed), options).Run();
        Assert.True(result.Solved);

        // Replay the same guesses and judge every training sequence of each, with no early stop.
        var replay = new WeightGuessing(TaskCatalog.Create(taskName, 12, seed), options);
        long firstAllRight = 0;
        for (long trial = 1; firstAllRight == 0; trial++)
        {
            replay.Guess();
            int wrong = 0;
            foreach (var batch in replay.TrainingBatches)
            {
                var correct = new bool[batch.BatchSize];
                batch.Judge(replay.Net.Forward(batch.Inputs, batch.Lengths).Data, correct);
                wrong += correct.Count(ok => !ok);
            }
            if (wrong == 0) firstAllRight = trial;
        }
        Assert.Equal(firstAllRight, result.Trials);
        Assert.True(result.Trials > 1); // the seeds are chosen so that the first guess is not already a solution
    }

    [Fact]
    public void GuessingSolvesTheLatchQuicklyButNotTheAddingProblem()
    {
        var latch = GuessingExperiment.Run("latch-1", 30, new GuessingOptions { MaxTrials = 500, TrainingSequences = 20 }, [1, 2, 3]);
        Assert.All(latch, r => Assert.True(r.Result.Solved));
        Assert.All(latch, r => Assert.Equal(0, r.Result.TestWrong));
        var adding = GuessingExperiment.Run("adding", 22, new GuessingOptions { MaxTrials = 300, TrainingSequences = 20, Hidden = 2 }, [1]);
        Assert.False(adding[0].Result.Solved);
        Assert.Equal(300, adding[0].Result.Trials);
        var summary = GuessingSummary.Of([.. latch, .. adding]);
        Assert.Equal(3, summary.Solved);
        Assert.Equal(latch.Average(r => (double)r.Result.Trials), summary.Mean, 9);
    }

    [Fact]
    public void BadSettingsNameTheSetting()
    {
        var task = TaskCatalog.Create("parity", 10, 1);
        Assert.Equal("Range", Assert.Throws<SettingException>(() => new WeightGuessing(task, new GuessingOptions { Range = 0 })).Setting);
        Assert.Equal("Architecture", Assert.Throws<SettingException>(() => new WeightGuessing(task, new GuessingOptions { Architecture = "unit" })).Setting);
        Assert.Equal("Architecture", Assert.Throws<SettingException>(() => new WeightGuessing(task, new GuessingOptions { Architecture = "a3" })).Setting);
        Assert.Equal("Hidden", Assert.Throws<SettingException>(() => new WeightGuessing(task, new GuessingOptions { Hidden = 0 })).Setting);
        Assert.Equal("MaxTrials", Assert.Throws<SettingException>(() => new WeightGuessing(task, new GuessingOptions { MaxTrials = 0 })).Setting);
    }
}
