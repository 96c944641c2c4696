using Xunit;
using Carousel.Data.Tasks;

namespace Carousel.Tests.Data;

public class MarkedPairProblemTests
{
    private sealed record Sequence(float[] Values, float[] Markers);

    private static Sequence Row(SequenceRegressionBatch batch, int b)
    {
        int len = batch.Lengths[b], rows = batch.BatchSize;
        var values = new float[len];
        var markers = new float[len];
        for (int t = 0; t < len; t++)
        {
            values[t] = batch.Inputs.Data[(t * rows + b) * 2];
            markers[t] = batch.Inputs.Data[(t * rows + b) * 2 + 1];
        }
        return new Sequence(values, markers);
    }

    private static int[] Marked(Sequence s) => Enumerable.Range(0, s.Markers.Length).Where(t => s.Markers[t] == 1f).ToArray();

    [Fact]
    public void AddingBatchLayoutAndLengths()
    {
        var task = new AddingProblem(minLength: 100, variableLength: true, seed: 1);
        var batch = task.NextBatch(64);
        Assert.Equal(2, batch.FeatureCount);
        Assert.Equal([64], batch.Targets.Shape);
        Assert.Equal(batch.Lengths.Max(), batch.Steps);
        Assert.All(batch.Lengths, l => Assert.InRange(l, 100, 110));
        Assert.True(batch.Lengths.Distinct().Count() > 3);
        for (int b = 0; b < 64; b++)
            for (int t = batch.Lengths[b]; t < batch.Steps; t++)
            {
                Assert.Equal(0f, batch.Inputs.Data[(t * 64 + b) * 2]);
                Assert.Equal(0f, batch.Inputs.Data[(t * 64 + b) * 2 + 1]);
            }

        var fixedLength = new AddingProblem(minLength: 50, variableLength: false, seed: 1).NextBatch(16);
        Assert.Equal(50, fixedLength.Steps);
        Assert.All(fixedLength.Lengths, l => Assert.Equal(50, l));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(23)]
    public void AddingMarkersFollowThePaper(int minLength)
    {
        var task = new AddingProblem(minLength, variableLength: true, seed: 2);
        var batch = task.NextBatch(2000);
        int maxSecond = 0, firstPairMarked = 0;
        for (int b = 0; b < batch.BatchSize; b++)
        {
            var s = Row(batch, b);
            int[] marked = Marked(s);
            Assert.Equal(2, marked.Length);
            Assert.True(marked[0] < 10);                 // X1 among the first ten pairs
            Assert.True(marked[1] <= minLength / 2 - 1); // X2 among the first T/2 − 1 unmarked pairs
            maxSecond = Math.Max(maxSecond, marked[1]);
            for (int t = 0; t < s.Markers.Length; t++)
            {
                if (marked.Contains(t)) continue;
                float expected = t == 0 || t == s.Markers.Length - 1 ? -1f : 0f;
                Assert.Equal(expected, s.Markers[t]);
            }
            Assert.Equal(marked[0] == 0 ? 1 : 2, s.Markers.Count(m => m == -1f));
            if (marked[0] == 0)
            {
                firstPairMarked++;
                Assert.Equal(0f, s.Values[0]); // X1 set to zero
            }
            Assert.All(s.Values, x => Assert.InRange(x, -1f, 1f));
        }
        Assert.Equal(minLength / 2 - 1, maxSecond);
        Assert.InRange(firstPairMarked, 1, batch.BatchSize / 4);
    }

    [Fact]
    public void AddingTargetsAreRecomputedFromTheInputs()
    {
        var batch = new AddingProblem(100, seed: 3).NextBatch(500);
        int right = 0;
        for (int b = 0; b < batch.BatchSize; b++)
        {
            var s = Row(batch, b);
            double sum = Marked(s).Sum(t => (double)s.Values[t]);
            double target = 0.5 + sum / 4.0;
            Assert.Equal(target, batch.Targets.Data[b], 1e-6);
            Assert.InRange(batch.Targets.Data[b], 0f, 1f);
            if (AddingProblem.IsCorrect((float)target + 0.03f, batch.Targets.Data[b])) right++;
            Assert.False(AddingProblem.IsCorrect((float)target + 0.05f, batch.Targets.Data[b]));
        }
        Assert.Equal(batch.BatchSize, right);
    }

    [Fact]
    public void MultiplicationTargetsAreRecomputedFromTheInputs()
    {
        var task = new MultiplicationProblem(100, seed: 4);
        var batch = task.NextBatch(1000);
        int firstPairMarked = 0;
        for (int b = 0; b < batch.BatchSize; b++)
        {
            var s = Row(batch, b);
            int[] marked = Marked(s);
            Assert.Equal(2, marked.Length);
            Assert.Equal((double)s.Values[marked[0]] * s.Values[marked[1]], batch.Targets.Data[b], 1e-6);
            Assert.All(s.Values, x => Assert.InRange(x, 0f, 1f));
            Assert.Equal(-1f, s.Markers[^1]);
            if (marked[0] == 0)
            {
                firstPairMarked++;
                Assert.Equal(1f, s.Values[0]); // X1 set to 1.0
            }
        }
        Assert.True(firstPairMarked > 0);
        Assert.Equal(0.5f * 0.5f, task.Target(0.5f, 0.5f));
    }

    [Fact]
    public void SameSeedSameDataDifferentSeedDifferentData()
    {
        var a = new AddingProblem(100, seed: 9).NextBatch(8);
        var b = new AddingProblem(100, seed: 9).NextBatch(8);
        var c = new AddingProblem(100, seed: 10).NextBatch(8);
        Assert.Equal(a.Inputs.Data, b.Inputs.Data);
        Assert.Equal(a.Targets.Data, b.Targets.Data);
        Assert.Equal(a.Lengths, b.Lengths);
        Assert.NotEqual(a.Targets.Data, c.Targets.Data);

        var m1 = new MultiplicationProblem(100, seed: 9).NextBatch(8);
        var m2 = new MultiplicationProblem(100, seed: 9).NextBatch(8);
        Assert.Equal(m1.Inputs.Data, m2.Inputs.Data);
    }

    [Fact]
    public void TooShortMinimalLengthIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new AddingProblem(minLength: 21));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AddingProblem().NextBatch(0));
    }
}
