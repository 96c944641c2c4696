namespace Carousel.Kernels;

/// <summary>
/// Single-precision matrix multiply on row-major storage:
/// C[m, n] = (accumulate ? C : 0) + op(A) · op(B), where op(A) is [m, k] and op(B) is [k, n].
/// A is stored [m, k] (lda ≥ k), or [k, m] when <c>transA</c> (lda ≥ m);
/// B is stored [k, n] (ldb ≥ n), or [n, k] when <c>transB</c> (ldb ≥ k).
/// The recurrent layers need: X·Wᵀ (transB), dG·W (none), dGᵀ·X (transA).
/// C must not overlap A or B. Products with m = 1 or n = 1 run as matrix-vector products; the rest are
/// packed and blocked (see Kernels/README.md). Repeated products with the same weights should use
/// <see cref="PackedMatrix"/>, which skips packing B.
/// </summary>
public static class Gemm
{
    private static int s_maxThreads = 1;
    private static readonly AsyncLocal<int> s_scopedThreads = new();

    /// <summary>
    /// Threads a single large GEMM may use: the innermost <see cref="UseThreads"/> scope of this flow of control, else
    /// the process-wide default (1 unless set). Small products always run on the calling thread.
    /// </summary>
    public static int MaxThreads
    {
        get => s_scopedThreads.Value is > 0 and var scoped ? scoped : s_maxThreads;
        set => s_maxThreads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), "MaxThreads must be at least 1.");
    }

    /// <summary>
    /// Sets <see cref="MaxThreads"/> for the calling flow of control (this thread and the tasks it starts) until the
    /// returned scope is disposed, so one run's thread count does not leak into others running beside it.
    /// </summary>
    public static ThreadScope UseThreads(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "Threads must be at least 1.");
        var scope = new ThreadScope(s_scopedThreads.Value);
        s_scopedThreads.Value = threads;
        return scope;
    }

    /// <summary>A <see cref="UseThreads"/> scope: disposing it restores the thread count that was in force before.</summary>
    public readonly struct ThreadScope : IDisposable
    {
        private readonly int _previous;

        internal ThreadScope(int previous) => _previous = previous;

        /// <summary>Restores the thread count in force before the scope.</summary>
        public void Dispose() => s_scopedThreads.Value = _previous;
    }

    /// <summary>
    /// C[m, n] = (accumulate ? C : 0) + op(A) · op(B) on row-major spans whose rows are lda, ldb, ldc floats apart
    /// (the layouts are described on <see cref="Gemm"/>); runs on the fastest instruction set this CPU has.
    /// </summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate) =>
        Multiply(GemmPaths.Best, transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);

    /// <summary>The same multiply on a chosen instruction-set path (tests run every supported path).</summary>
    internal static void Multiply(GemmPath path, bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate) =>
        Multiply(path, ThreadsFor(m, n, k), transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);

    /// <summary>
    /// The threads a product of this size gets: <see cref="MaxThreads"/> once it is large enough that a
    /// second thread pays for its wake-up and duplicated packing, otherwise one.
    /// </summary>
    internal static int ThreadsFor(int m, int n, int k) =>
        2.0 * m * n * k >= GemmThreads.MinFlops && MaxThreads is > 1 and var threads ? threads : 1;

    /// <summary>The same multiply on a chosen path, split over exactly <paramref name="threads"/> slices (tests force small splits).</summary>
    internal static unsafe void Multiply(GemmPath path, int threads, bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate)
    {
        CheckArguments(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (!GemmPaths.IsSupported(path)) throw new PlatformNotSupportedException($"GEMM path {path} is not supported on this CPU.");
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        fixed (float* pa = a, pb = b, pc = c)
        {
            var job = new GemmJob
            {
                Path = path, TransA = transA, TransB = transB, Accumulate = accumulate,
                M = m, N = n, K = k, A = pa, Lda = lda, B = pb, Ldb = ldb, C = pc, Ldc = ldc, ColumnProduct = n == 1,
            };
            GemmThreads.Run(ref job, threads);
        }
    }

    /// <summary>
    /// Naive reference (double accumulation, no blocking) that the fast paths are tested against.
    /// Same arguments and checks as <see cref="Multiply(bool, bool, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, Span{float}, int, bool)"/>.
    /// </summary>
    internal static void Reference(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate)
    {
        CheckArguments(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c[i * ldc + j] : 0.0;
                for (int p = 0; p < k; p++)
                {
                    double aip = transA ? a[p * lda + i] : a[i * lda + p];
                    double bpj = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += aip * bpj;
                }
                c[i * ldc + j] = (float)sum;
            }
    }

    /// <summary>
    /// C[m, N] = (accumulate ? C : 0) + A · op(B) with op(B) pre-packed (see <see cref="PackedMatrix"/>).
    /// A is stored [m, K] with row stride lda ≥ K; C has row stride ldc ≥ N.
    /// For m = 1 this is a GEMV that streams the packed weights once.
    /// </summary>
    public static void Multiply(int m, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        Span<float> c, int ldc, bool accumulate) =>
        Multiply(b is null ? 1 : ThreadsFor(m, b.N, b.K), m, a, lda, b!, c, ldc, accumulate);

    /// <summary>C[m, N] = (accumulate ? C : 0) + A · op(B) for contiguous A [m, K] and C [m, N] and a pre-packed op(B).</summary>
    public static void Multiply(int m, ReadOnlySpan<float> a, PackedMatrix b, Span<float> c, bool accumulate)
    {
        ArgumentNullException.ThrowIfNull(b);
        Multiply(m, a, b.K, b, c, b.N, accumulate);
    }

    /// <summary>The packed multiply on a chosen thread count (the path is the one <paramref name="b"/> was packed for).</summary>
    internal static unsafe void Multiply(int threads, int m, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        Span<float> c, int ldc, bool accumulate)
    {
        ArgumentNullException.ThrowIfNull(b);
        int n = b.N, k = b.K;
        CheckArguments(false, false, m, n, k, a.Length, lda, int.MaxValue, n, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        fixed (float* pa = a, pc = c)
        {
            var job = new GemmJob
            {
                Path = b.Path, Accumulate = accumulate, M = m, N = n, K = k, A = pa, Lda = lda, C = pc, Ldc = ldc, Packed = b,
            };
            GemmThreads.Run(ref job, threads);
        }
    }

    /// <summary>C[m, n] = (accumulate ? C : 0) + op(A) · op(B) for contiguous operands (no gaps between rows).</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate) =>
        Multiply(transA, transB, m, n, k, a, transA ? m : k, b, transB ? k : n, c, n, accumulate);

    internal static void CheckArguments(bool transA, bool transB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"Negative GEMM size m={m} n={n} k={k}.");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        if (lda < aCols || ldb < bCols || ldc < n) throw new ArgumentException("Leading dimension smaller than the row length.");
        if (aRows > 0 && aCols > 0 && (long)(aRows - 1) * lda + aCols > aLength) throw new ArgumentException("A is too small for its shape.");
        if (bRows > 0 && bCols > 0 && (long)(bRows - 1) * ldb + bCols > bLength) throw new ArgumentException("B is too small for its shape.");
        if (m > 0 && n > 0 && (long)(m - 1) * ldc + n > cLength) throw new ArgumentException("C is too small for its shape.");
    }
}
