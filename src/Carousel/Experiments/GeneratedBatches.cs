using Carousel.Training;

namespace Carousel.Experiments;

/// <summary>
/// Batches made on demand by an experiment's generator (fresh draws of a task, or one fixed batch), for a run in memory:
/// <paramref name="next"/> is called once per step. Not resumable: the generator's state is not saved.
/// </summary>
/// <typeparam name="TBatch">What the generator makes.</typeparam>
/// <param name="next">Makes the next batch.</param>
/// <param name="batchesPerEpoch">The nominal epoch (for an endless generator, usually the run's length).</param>
public sealed class GeneratedBatches<TBatch>(Func<TBatch> next, long batchesPerEpoch) : IBatchSource<TBatch>
{
    /// <inheritdoc/>
    public long BatchesPerEpoch { get; } = batchesPerEpoch;

    /// <inheritdoc/>
    public TBatch Next(int index) => next();

    /// <inheritdoc/>
    public ulong[] State => [];

    /// <inheritdoc/>
    public long StreamPosition => 0;

    /// <inheritdoc/>
    public void Restore(ulong[] state, long streamPosition) => throw new NotSupportedException("An experiment's generated batches are not resumed.");
}
