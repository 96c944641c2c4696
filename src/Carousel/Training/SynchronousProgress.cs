namespace Carousel.Training;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls <paramref name="report"/> at once, on the reporting thread, in order (unlike
/// <see cref="Progress{T}"/>, which posts to the thread pool): the training loop reports synchronously after every step.
/// </summary>
/// <param name="report">What to do with each report.</param>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    /// <summary>Calls the action with <paramref name="value"/>.</summary>
    public void Report(T value) => report(value);
}
