using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Carousel.Kernels;

/// <summary>The work a <see cref="PhaseTeam"/> shares out: independent parts of numbered phases, run by <see cref="RunPart"/>.</summary>
internal interface IPhaseWork
{
    /// <summary>Runs part <paramref name="part"/> of phase <paramref name="phase"/>; parts of one phase may run at the same time.</summary>
    void RunPart(int phase, int part);
}

/// <summary>
/// The calling thread and one helper thread share many short phases (a few microseconds each, such as one
/// layer of one batch-1 step), each split into independent parts. A phase costs two cache-line hand-offs, not a
/// futex wake: between phases the helper spins, and parks only after <see cref="SpinSeconds"/> without work.
/// Parts are claimed, not assigned: when the helper is not running (the other core is busy with another
/// process), the caller claims every part itself and never waits for it; it waits only for a part the
/// helper has already started. Parts are claimed in order and the caller claims first, so part 0 usually runs
/// on the caller and part 1 on the helper, and each core keeps streaming the same weights. When the helper is
/// preempted in the middle of a part (the other core is busy), the caller runs alone for a while.
/// </summary>
internal sealed class PhaseTeam : IDisposable
{
    /// <summary>How long the idle helper spins before it parks: longer than the gap between two tokens of a
    /// sampling loop (output layer, softmax, draw), short enough not to hold a core when sampling stops.</summary>
    private const double SpinSeconds = 200e-6;

    /// <summary>A wait for the helper's part longer than the caller's own work plus this is taken for a helper
    /// preempted mid-part (a time slice is a millisecond or more), not one that started a little late.</summary>
    private const double StallSeconds = 100e-6;

    /// <summary>After such a stall the caller runs phases alone for this long, so that on a machine whose other core
    /// is busy two threads cost little more than one; then it tries the helper again.</summary>
    private const double SoloSeconds = 50e-3;

    private const int PartBits = 8;
    private readonly IPhaseWork _work;
    private readonly int _parts;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _helper;

    // (phase serial << PartBits) | parts claimed so far. The serial makes a claim for a finished phase fail.
    private long _ticket;
    private int _phase;      // the phase of the current serial, written before the ticket is published
    private int _partsDone;  // parts of the current phase finished
    private int _parked;     // 1 while the helper sleeps on _wake
    private volatile bool _disposed;
    private Exception? _helperError;
    private long _helperParts;
    private long _soloUntil; // Stopwatch timestamp until which Run does every part itself

    /// <summary>Tests: the caller runs at most one part per phase and leaves the rest to the helper, so the helper surely runs.</summary>
    internal bool CallerRunsOnePart { get; set; }

    /// <summary>Times the caller found the helper preempted in the middle of a part and went on alone for a while.</summary>
    public int Stalls { get; private set; }

    /// <summary>Parts the helper has run so far (to see, when measuring, whether it got a core).</summary>
    public long HelperParts => Volatile.Read(ref _helperParts);

    public PhaseTeam(IPhaseWork work, int parts)
    {
        if (parts is < 1 or >= 1 << PartBits) throw new ArgumentOutOfRangeException(nameof(parts));
        _work = work;
        _parts = parts;
        _helper = new Thread(HelperLoop) { IsBackground = true, Name = "Carousel phase helper" };
        _helper.Start();
    }

    /// <summary>Runs every part of <paramref name="phase"/>, on this thread and the helper; returns when all are done.</summary>
    public void Run(int phase)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long start = Stopwatch.GetTimestamp();
        if (start < _soloUntil && !CallerRunsOnePart)
        {
            // Not published: the helper sees no work and parks.
            for (int p = 0; p < _parts; p++) _work.RunPart(phase, p);
            return;
        }
        _phase = phase;
        _partsDone = 0;
        long serial = (_ticket >> PartBits) + 1;
        Interlocked.Exchange(ref _ticket, serial << PartBits); // publishes _phase and _partsDone with it
        if (Volatile.Read(ref _parked) == 1 && Interlocked.Exchange(ref _parked, 0) == 1) _wake.Release();

        Exception? error = null;
        int claimed = 0;
        while ((claimed++ == 0 || !CallerRunsOnePart) && TryClaim(serial, out int part))
        {
            try
            {
                _work.RunPart(phase, part);
            }
            catch (Exception e)
            {
                error ??= e;
            }
            Interlocked.Increment(ref _partsDone);
        }
        // Only a part the helper has started can be outstanding: spin briefly, then let it have the core.
        long ownEnd = Stopwatch.GetTimestamp();
        for (int spins = 0; Volatile.Read(ref _partsDone) < _parts; spins++)
        {
            if (spins < 2000) Thread.SpinWait(8);
            else Thread.Yield();
        }
        long end = Stopwatch.GetTimestamp();
        if (end - ownEnd > ownEnd - start + (long)(StallSeconds * Stopwatch.Frequency))
        {
            _soloUntil = end + (long)(SoloSeconds * Stopwatch.Frequency);
            Stalls++;
        }
        error ??= Interlocked.Exchange(ref _helperError, null);
        if (error is not null) ExceptionDispatchInfo.Throw(error);
    }

    private bool TryClaim(long serial, out int part)
    {
        while (true)
        {
            long ticket = Volatile.Read(ref _ticket);
            part = (int)(ticket & ((1 << PartBits) - 1));
            if (ticket >> PartBits != serial || part >= _parts) return false;
            if (Interlocked.CompareExchange(ref _ticket, ticket + 1, ticket) == ticket) return true;
        }
    }

    private void HelperLoop()
    {
        long idleSince = Stopwatch.GetTimestamp();
        long spinTicks = (long)(SpinSeconds * Stopwatch.Frequency);
        while (!_disposed)
        {
            long ticket = Volatile.Read(ref _ticket);
            int part = (int)(ticket & ((1 << PartBits) - 1));
            if (part < _parts && ticket != 0)
            {
                if (Interlocked.CompareExchange(ref _ticket, ticket + 1, ticket) != ticket) continue;
                try
                {
                    _work.RunPart(_phase, part);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _helperError, e, null);
                }
                _helperParts++;
                Interlocked.Increment(ref _partsDone);
                idleSince = Stopwatch.GetTimestamp();
                continue;
            }
            if (Stopwatch.GetTimestamp() - idleSince < spinTicks)
            {
                Thread.SpinWait(8);
                continue;
            }
            // Park. The exchange and Run's ticket exchange are both full fences, so either Run sees the flag
            // and wakes us, or the re-check below sees its new ticket.
            Interlocked.Exchange(ref _parked, 1);
            ticket = Volatile.Read(ref _ticket);
            bool workArrived = (ticket & ((1 << PartBits) - 1)) < _parts && ticket != 0;
            if (!workArrived || _disposed)
            {
                if (!_disposed) _wake.Wait();
            }
            else if (Interlocked.Exchange(ref _parked, 0) == 0)
            {
                _wake.Wait(); // Run already released the semaphore for us: consume it
            }
            idleSince = Stopwatch.GetTimestamp();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _wake.Release();
        _helper.Join();
        _wake.Dispose();
    }
}
