namespace Carousel.Cli;

/// <summary>
/// While it listens, Ctrl+C asks a training run to stop (the trainer saves its checkpoint and returns) instead of
/// ending the process at once; after <see cref="StopListening"/> a second Ctrl+C ends it as usual.
/// </summary>
internal sealed class CtrlCCancellation : IDisposable
{
    private readonly CancellationTokenSource _source = new();

    public CtrlCCancellation() => Console.CancelKeyPress += OnCancelKeyPress;

    public CancellationToken Token => _source.Token;

    public bool Requested => _source.IsCancellationRequested;

    public void StopListening() => Console.CancelKeyPress -= OnCancelKeyPress;

    public void Dispose()
    {
        StopListening();
        _source.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _source.Cancel();
    }
}
