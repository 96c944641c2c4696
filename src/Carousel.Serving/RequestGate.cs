namespace Carousel.Serving;

/// <summary>
/// Bounds the model requests running at once. A request that finds every slot taken is answered 429 at once rather
/// than queued: a queue would hold connections open and hide an overloaded server from its callers.
/// </summary>
/// <param name="slots">How many may run together.</param>
public sealed class RequestGate(int slots)
{
    private readonly SemaphoreSlim _slots = new(slots, slots);

    /// <summary>How many may run together.</summary>
    public int Slots { get; } = slots;

    /// <summary>Takes a slot for the life of the returned handle, or throws 429 when none is free.</summary>
    public IDisposable Enter() => TryEnter() ?? throw new RequestException(StatusCodes.Status429TooManyRequests,
        $"The server is busy: {Slots} model request(s) are running, the most it runs at once. Try again shortly.");

    /// <summary>Takes a slot, or returns null when none is free.</summary>
    public IDisposable? TryEnter() => _slots.Wait(0) ? new Slot(_slots) : null;

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) slots.Release();
        }
    }
}
