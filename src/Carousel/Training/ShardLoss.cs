namespace Carousel.Training;

/// <summary>
/// What one process's shard of a batch reports in a data-parallel run. The loss of a batch is a mean over some count
/// (symbols, steps, sequences); the loop sums Loss·Count and the counts over the processes, so the batch's loss and
/// gradient are those of one process that trains the whole batch, also when padded shards hold different counts.
/// </summary>
/// <param name="Loss">The shard's mean loss (0 for an empty shard).</param>
/// <param name="Count">What the mean is over in this shard: its scored symbols, steps or sequences (0: an empty shard, nothing was run).</param>
/// <param name="Tokens">Symbols or steps the shard covered, for the throughput shown.</param>
public readonly record struct ShardLoss(double Loss, double Count, long Tokens)
{
    /// <summary>A shard with no rows: it adds nothing to the loss, the gradient or the counts.</summary>
    public static ShardLoss Empty => new(0, 0, 0);
}
