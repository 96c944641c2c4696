namespace Carousel.Distributed;

/// <summary>One process alone: every collective operation leaves the values as they are.</summary>
public sealed class SingleProcess : ICommunicator
{
    /// <summary>The one instance (it holds nothing).</summary>
    public static SingleProcess Instance { get; } = new();

    private SingleProcess()
    {
    }

    /// <inheritdoc/>
    public int Rank => 0;

    /// <inheritdoc/>
    public int Size => 1;

    /// <inheritdoc/>
    public void SumInPlace(Span<float> values)
    {
    }

    /// <inheritdoc/>
    public void SumInPlace(Span<double> values)
    {
    }

    /// <inheritdoc/>
    public void Broadcast(Span<float> values)
    {
    }

    /// <inheritdoc/>
    public void Abort(int exitCode) => Environment.Exit(exitCode);

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
