namespace Carousel;

/// <summary>
/// A training run whose loss or gradient became infinite or NaN: it stopped at <see cref="Step"/> without taking that
/// step, and what it saved before (the last checkpoint) is kept.
/// </summary>
public sealed class TrainingDivergedException(long step, string message) : Exception(message)
{
    /// <summary>The optimizer step (1-based) whose batch diverged.</summary>
    public long Step { get; } = step;
}
