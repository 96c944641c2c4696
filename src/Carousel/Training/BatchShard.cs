namespace Carousel.Training;

/// <summary>
/// This process's part of every batch in a data-parallel run of <paramref name="Count"/> processes: the contiguous rows
/// [Start, End) of a batch of B rows, B·Rank/Count to B·(Rank+1)/Count, so the shards in rank order are the batch in order.
/// </summary>
/// <param name="Rank">This process, 0 ≤ Rank &lt; Count.</param>
/// <param name="Count">The processes sharing each batch.</param>
public readonly record struct BatchShard(int Rank, int Count)
{
    /// <summary>The rows [Start, End) of a batch of <paramref name="batchSize"/> rows that are this shard's (empty when the batch has fewer rows than processes).</summary>
    public (int Start, int End) Rows(int batchSize) =>
        ((int)((long)batchSize * Rank / Count), (int)((long)batchSize * (Rank + 1) / Count));

    /// <summary>This shard's examples of a batch given as example indices.</summary>
    public int[] Of(int[] examples)
    {
        var (start, end) = Rows(examples.Length);
        return examples[start..end];
    }
}
