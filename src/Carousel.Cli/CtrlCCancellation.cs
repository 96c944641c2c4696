using System.Runtime.InteropServices;

namespace Carousel.Cli;

/// <summary>
/// While it listens, Ctrl+C — and SIGTERM, with which containers and schedulers stop jobs — asks a training run to stop
/// (the trainer saves where it stands and returns) instead of ending the process at once; after <see cref="StopListening"/>
/// a second Ctrl+C ends it as usual.
/// </summary>
internal sealed class CtrlCCancellation : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private PosixSignalRegistration? _terminate;

    public CtrlCCancellation()
    {
        Console.CancelKeyPress += OnCancelKeyPress;
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true; // the run ends itself, after saving
            _source.Cancel();
        });
    }

    public CancellationToken Token => _source.Token;

    public bool Requested => _source.IsCancellationRequested;

    public void StopListening()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _terminate?.Dispose();
        _terminate = null;
    }

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
