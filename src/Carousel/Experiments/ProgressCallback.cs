namespace Carousel.Experiments;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls <paramref name="report"/> at once, on the reporting thread (unlike
/// <see cref="Progress{T}"/>, which posts): the training loop reports synchronously, and an experiment records every step.
/// </summary>
internal sealed class ProgressCallback<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
