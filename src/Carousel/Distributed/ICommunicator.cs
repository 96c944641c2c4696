namespace Carousel.Distributed;

/// <summary>
/// The processes of one data-parallel training run and the few collective operations the training loop needs: every
/// process holds the whole model, trains its shard of each batch, and the gradients are summed across processes before
/// the same optimizer step on each. Every process must make the same calls in the same order (collective operations).
/// One process alone is <see cref="SingleProcess"/>; many are <see cref="MpiCommunicator"/>.
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's number, 0 ≤ Rank &lt; <see cref="Size"/>; rank 0 writes the run's files.</summary>
    int Rank { get; }

    /// <summary>The number of processes in the run.</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="values"/> on every process by their element-wise sum over all processes.</summary>
    void SumInPlace(Span<float> values);

    /// <summary>Replaces <paramref name="values"/> on every process by their element-wise sum over all processes.</summary>
    void SumInPlace(Span<double> values);

    /// <summary>Replaces <paramref name="values"/> on every process by rank 0's.</summary>
    void Broadcast(Span<float> values);

    /// <summary>Ends the whole run at once, every process with exit code <paramref name="exitCode"/> (after an error on this process that the others cannot see).</summary>
    void Abort(int exitCode);
}
