using Carousel.Data;
using Carousel.Tensors;

namespace Carousel.Tests.Data;

public class PaddedBatchTests
{
    [Fact]
    public void PadsTimeMajorWithLengths()
    {
        int[][] sequences = [[1, 2, 3], [4], [5, 6]];
        var batch = PaddedBatch.From(sequences, [2, 0, 1], padId: 0);
        Assert.Equal(3, batch.Steps);
        Assert.Equal([2, 3, 1], batch.Lengths);
        Assert.Equal([2, 0, 1], batch.Examples);
        // t = 0: rows are examples 2, 0, 1.
        Assert.Equal([5, 1, 4, 6, 2, 0, 0, 3, 0], batch.Ids);
        Assert.Equal(6.0 / 9.0, batch.Fill, 12);
    }

    [Fact]
    public void RejectsEmptySequence()
    {
        int[][] sequences = [[1], []];
        var error = Assert.Throws<ArgumentException>(() => PaddedBatch.From(sequences, [0, 1], padId: 0));
        Assert.Contains("Example 1", error.Message);
    }

    [Fact]
    public void BucketsCoverEveryExampleOnceAndCutPadding()
    {
        var rng = new Rng(7);
        var lengths = new int[1000];
        for (int i = 0; i < lengths.Length; i++) lengths[i] = 1 + rng.NextInt(100);
        var sequences = lengths.Select(n => new int[n]).ToArray();

        var plan = LengthBuckets.Plan(lengths, batchSize: 32, new Rng(1), poolBatches: 10);
        var seen = plan.SelectMany(b => b).OrderBy(i => i).ToArray();
        Assert.Equal(Enumerable.Range(0, lengths.Length), seen);
        Assert.All(plan, b => Assert.InRange(b.Length, 1, 32));

        double bucketedFill = plan.Average(b => PaddedBatch.From(sequences, b, 0).Fill);
        var random = Enumerable.Range(0, lengths.Length).Chunk(32).ToList();
        double randomFill = random.Average(b => PaddedBatch.From(sequences, b, 0).Fill);
        Assert.True(bucketedFill > 0.8 && randomFill < 0.6, $"fill bucketed {bucketedFill:F3}, random {randomFill:F3}");
    }

    [Fact]
    public void BucketsAreSeededAndSortedWithoutRng()
    {
        int[] lengths = [5, 1, 4, 2, 3, 9, 7];
        Assert.Equal(LengthBuckets.Plan(lengths, 2, new Rng(3)), LengthBuckets.Plan(lengths, 2, new Rng(3)));
        Assert.NotEqual(LengthBuckets.Plan(lengths, 2, new Rng(3)), LengthBuckets.Plan(lengths, 2, new Rng(4)));
        var sorted = LengthBuckets.Plan(lengths, 3, rng: null);
        Assert.Equal([[1, 3, 4], [2, 0, 6], [5]], sorted);
    }
}
