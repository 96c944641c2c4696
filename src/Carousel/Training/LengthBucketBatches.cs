using Carousel.Tensors;
using Carousel.Data;

namespace Carousel.Training;

/// <summary>
/// Epochs of shuffled batches of example indices, each batch of examples of similar length (<see cref="LengthBuckets"/>),
/// drawn from a seeded generator. Its saved state is the generator before the epoch in progress drew its plan, so a
/// resumed run draws the same plan and goes on from the batch it reached.
/// </summary>
public sealed class LengthBucketBatches(IReadOnlyList<int> lengths, int batchSize, Rng rng) : IBatchSource<int[]>
{
    private List<int[]>? _plan;
    private int _lastIndex = -1;
    private ulong[] _epochStart = rng.State;

    /// <inheritdoc/>
    public long BatchesPerEpoch { get; } = (lengths.Count + batchSize - 1) / batchSize;

    /// <inheritdoc/>
    public int[] Next(int index)
    {
        if (index == 0 || _plan is null)
        {
            _epochStart = rng.State;
            _plan = LengthBuckets.Plan(lengths, batchSize, rng);
        }
        _lastIndex = index;
        return _plan[index];
    }

    /// <inheritdoc/>
    /// <remarks>Once an epoch's last batch is out, the next epoch plans from the generator as it is now.</remarks>
    public ulong[] State => _plan is not null && _lastIndex == _plan.Count - 1 ? rng.State : _epochStart;

    /// <inheritdoc/>
    public long StreamPosition => 0;

    /// <inheritdoc/>
    public void Restore(ulong[] state, long streamPosition)
    {
        rng.State = state;
        _epochStart = state;
        _plan = null;
        _lastIndex = -1;
    }
}
