using Xunit;
using Carousel.Data.Tasks;

namespace Carousel.Tests.Data;

public class CopyTaskTests
{
    private static int FeatureAt(StepClassificationBatch batch, int t, int b)
    {
        var x = batch.Inputs.Data.AsSpan((t * batch.BatchSize + b) * batch.FeatureCount, batch.FeatureCount);
        Assert.Equal(1f, x.ToArray().Sum());
        return x.IndexOf(1f);
    }

    [Theory]
    [InlineData(8, 10, 0)]
    [InlineData(4, 5, 30)]
    [InlineData(1, 1, 2)]
    public void TargetsAreTheCopiedSymbols(int alphabet, int length, int delay)
    {
        var task = new CopyTask(alphabet, length, delay, seed: 1);
        var batch = task.NextBatch(12);
        int steps = 2 * length + delay + 1;
        Assert.Equal(steps, task.Steps);
        Assert.Equal([steps, 12, alphabet + 2], batch.Inputs.Shape);
        Assert.Equal(steps * 12, batch.Targets.Length);
        Assert.All(batch.Lengths, l => Assert.Equal(steps, l));
        for (int b = 0; b < 12; b++)
        {
            var copied = new int[length];
            for (int t = 0; t < steps; t++)
            {
                int f = FeatureAt(batch, t, b);
                int target = batch.Targets[t * 12 + b];
                if (t < length)
                {
                    Assert.InRange(f, 0, alphabet - 1);
                    copied[t] = f;
                }
                else if (t == length + delay)
                {
                    Assert.Equal(task.Go, f);
                }
                else
                {
                    Assert.Equal(task.Blank, f);
                }
                if (t >= task.AnswerStart) Assert.Equal(copied[t - task.AnswerStart], target);
                else Assert.Equal(StepClassificationBatch.Ignore, target);
            }
        }
    }

    [Fact]
    public void SymbolsVaryAndCoverTheAlphabet()
    {
        var batch = new CopyTask(10, 10, 5, seed: 2).NextBatch(50);
        var used = batch.Targets.Where(t => t >= 0).Distinct().Count();
        Assert.Equal(10, used);
    }

    [Fact]
    public void RowCorrectScoresOnlyAnswerSteps()
    {
        var task = new CopyTask(6, 4, 3, seed: 3);
        var batch = task.NextBatch(5);
        int steps = task.Steps, classes = task.ClassCount;
        var outputs = new float[steps * 5 * classes];
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < 5; b++)
            {
                int target = batch.Targets[t * 5 + b];
                // Garbage where nothing is scored, the right symbol where it is.
                outputs[(t * 5 + b) * classes + (target >= 0 ? target : (t + b) % classes)] = 1f;
            }
        for (int b = 0; b < 5; b++) Assert.True(CopyTask.RowCorrect(batch, outputs, b));

        int last = steps - 1, wrong = (batch.Targets[last * 5 + 2] + 1) % classes;
        outputs[(last * 5 + 2) * classes + wrong] = 2f;
        Assert.False(CopyTask.RowCorrect(batch, outputs, 2));
        Assert.True(CopyTask.RowCorrect(batch, outputs, 1));
    }

    [Fact]
    public void SameSeedSameDataDifferentSeedDifferentData()
    {
        var a = new CopyTask(8, 10, 20, seed: 4).NextBatch(8);
        var b = new CopyTask(8, 10, 20, seed: 4).NextBatch(8);
        var c = new CopyTask(8, 10, 20, seed: 5).NextBatch(8);
        Assert.Equal(a.Inputs.Data, b.Inputs.Data);
        Assert.Equal(a.Targets, b.Targets);
        Assert.NotEqual(a.Targets, c.Targets);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CopyTask(0, 10, 20, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CopyTask(8, 10, -1, 0));
    }
}
