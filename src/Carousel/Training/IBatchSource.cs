namespace Carousel.Training;

/// <summary>
/// Where a run's batches come from, and the state that makes them reproducible after a resume. The loop asks for batch
/// <c>index</c> of the epoch in progress, in order: from 0 at each epoch's start, or from where a resumed run stands.
/// </summary>
/// <typeparam name="TBatch">What the model's <see cref="Trainable{TBatch}.TrainBatch"/> trains on.</typeparam>
public interface IBatchSource<out TBatch>
{
    /// <summary>Batches in one pass over the training data (for an endless source, the schedule's nominal epoch).</summary>
    long BatchesPerEpoch { get; }

    /// <summary>Batch <paramref name="index"/> of the epoch in progress.</summary>
    TBatch Next(int index);

    /// <summary>The generator state that reproduces the coming batches (empty when there is none).</summary>
    ulong[] State { get; }

    /// <summary>Where a stream stands (0 for sources that are not streams).</summary>
    long StreamPosition { get; }

    /// <summary>Puts a saved run's state back (the same source built afresh for the same data).</summary>
    void Restore(ulong[] state, long streamPosition);
}
