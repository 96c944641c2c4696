using System.Runtime.ExceptionServices;

namespace Carousel.Kernels;

/// <summary>
/// One GEMM (or a slice of it) described by value, so it can be handed to a worker without a closure.
/// Pointers stay valid because the posting thread keeps its operands pinned until every slice is done.
/// </summary>
internal unsafe struct GemmJob
{
    public GemmPath Path;
    public bool TransA, TransB, Accumulate;
    public int M, N, K;
    public float* A, B, C;
    public nint Lda, Ldb, Ldc;

    /// <summary>The whole product (not just this slice) has one column: its rows are dot products.</summary>
    public bool ColumnProduct;

    /// <summary>Non-null for a multiply by a pre-packed op(B); B is then unused.</summary>
    public PackedMatrix? Packed;

    /// <summary>First panel of <see cref="Packed"/> this slice starts at (N is the slice's width).</summary>
    public int PanelOffset;

    public readonly void Run()
    {
        if (Packed is not null)
        {
            switch (Path)
            {
                case GemmPath.Avx512: GemmDriver.RunPacked<Avx512Kernel>(M, N, K, A, Lda, Packed, PanelOffset, C, Ldc, Accumulate, true); break;
                case GemmPath.Avx2: GemmDriver.RunPacked<Avx2Kernel>(M, N, K, A, Lda, Packed, PanelOffset, C, Ldc, Accumulate, true); break;
                default: GemmDriver.RunPacked<ScalarKernel>(M, N, K, A, Lda, Packed, PanelOffset, C, Ldc, Accumulate, false); break;
            }
            return;
        }
        switch (Path)
        {
            case GemmPath.Avx512: Run<Avx512Kernel>(true); break;
            case GemmPath.Avx2: Run<Avx2Kernel>(true); break;
            default: Run<ScalarKernel>(false); break;
        }
    }

    private readonly void Run<TK>(bool simd) where TK : struct, IGemmKernel
    {
        // The route depends on the whole product's shape, not the slice's, so that slicing never
        // changes how an element is summed.
        if (ColumnProduct) GemmDriver.RunColumn(Path, TransA, TransB, M, K, A, Lda, B, Ldb, C, Ldc, Accumulate);
        else if (M == 1) GemmDriver.RunRow(Path, TransA, TransB, N, K, A, Lda, B, Ldb, C, Accumulate);
        else GemmDriver.Run<TK>(TransA, TransB, M, N, K, A, Lda, B, Ldb, C, Ldc, Accumulate, simd);
    }

    /// <summary>
    /// Slice <paramref name="part"/> of <paramref name="parts"/>: columns of C (whole panels) when C is
    /// at least as wide as tall or B is pre-packed, otherwise rows of C (whole micro-tiles).
    /// Returns false when the slice is empty.
    /// </summary>
    public readonly bool Slice(int part, int parts, int mr, int nr, out GemmJob slice)
    {
        slice = this;
        if (Packed is not null || N >= M)
        {
            int width = GemmDriver.RoundUp((N + parts - 1) / parts, nr);
            int j0 = part * width, j1 = Math.Min(N, j0 + width);
            if (j0 >= j1) return false;
            slice.N = j1 - j0;
            slice.C = C + j0;
            if (Packed is not null) slice.PanelOffset = PanelOffset + j0 / nr;
            else slice.B = TransB ? B + j0 * Ldb : B + j0;
        }
        else
        {
            int height = GemmDriver.RoundUp((M + parts - 1) / parts, mr);
            int i0 = part * height, i1 = Math.Min(M, i0 + height);
            if (i0 >= i1) return false;
            slice.M = i1 - i0;
            slice.C = C + i0 * Ldc;
            slice.A = TransA ? A + i0 : A + i0 * Lda;
        }
        return true;
    }
}

/// <summary>
/// Splits large GEMMs over <see cref="Gemm.MaxThreads"/> threads: the caller runs the first slice, and
/// parked background workers run the others. Workers block on a semaphore between jobs (no spinning:
/// on a small shared machine a spinning helper steals the core the caller needs). If another thread is
/// already using the workers, the GEMM simply runs on the calling thread.
/// </summary>
internal static class GemmThreads
{
    /// <summary>
    /// Below this many flops (2·m·n·k) <see cref="Gemm.MaxThreads"/> is not used: a second thread would
    /// cost more (wake-up, duplicated packing of the shared operand) than it saves.
    /// </summary>
    public const double MinFlops = 8e6;

    private static readonly Lock s_gate = new();
    private static Worker[] s_workers = [];
    private static int s_busy;

    public static void Run(ref GemmJob job, int threads)
    {
        var (mr, nr) = job.Path switch
        {
            GemmPath.Avx512 => (Avx512Kernel.MR, Avx512Kernel.NR),
            GemmPath.Avx2 => (Avx2Kernel.MR, Avx2Kernel.NR),
            _ => (ScalarKernel.MR, ScalarKernel.NR),
        };
        if (threads < 2 || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            job.Run();
            return;
        }
        try
        {
            Worker[] workers = EnsureWorkers(threads - 1);
            int posted = 0;
            for (int part = 1; part < threads; part++)
                if (job.Slice(part, threads, mr, nr, out GemmJob slice))
                    workers[posted++].Post(slice);
            Exception? error = null;
            try
            {
                if (job.Slice(0, threads, mr, nr, out GemmJob first)) first.Run();
            }
            catch (Exception e)
            {
                error = e;
            }
            for (int w = 0; w < posted; w++)
            {
                Exception? e = workers[w].Wait();
                error ??= e;
            }
            if (error is not null) ExceptionDispatchInfo.Throw(error);
        }
        finally
        {
            Volatile.Write(ref s_busy, 0);
        }
    }

    private static Worker[] EnsureWorkers(int count)
    {
        Worker[] workers = s_workers;
        if (workers.Length >= count) return workers;
        lock (s_gate)
        {
            if (s_workers.Length < count)
            {
                var grown = new Worker[count];
                Array.Copy(s_workers, grown, s_workers.Length);
                for (int i = s_workers.Length; i < count; i++) grown[i] = new Worker(i + 1);
                s_workers = grown;
            }
            return s_workers;
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _start = new(0), _done = new(0);
        private GemmJob _job;
        private Exception? _error;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Carousel GEMM worker {index}" };
            thread.Start();
        }

        public void Post(in GemmJob job)
        {
            _job = job;
            _error = null;
            _start.Release();
        }

        public Exception? Wait()
        {
            _done.Wait();
            return _error;
        }

        private void Loop()
        {
            while (true)
            {
                _start.Wait();
                try
                {
                    _job.Run();
                }
                catch (Exception e)
                {
                    _error = e;
                }
                _job = default;
                _done.Release();
            }
        }
    }
}
