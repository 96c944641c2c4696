using Carousel.Kernels;

namespace Carousel.Tests.Kernels;

/// <summary>
/// Every GEMM path (AVX-512, AVX2, scalar: whichever this CPU supports) against an exact double
/// reference, over all transpose combinations, edge-heavy shapes, padded leading dimensions and
/// accumulate on/off. The tolerance follows the float32 error bound of a k-term dot product,
/// |error| ≤ c·k·u·Σ|a||b|, so a single wrong or missing term (≈ Σ|a||b| / k) fails it.
/// Beyond accuracy: batch invariance (bit-exact rows whatever m and the thread split), packed weights,
/// threads, argument checks and an allocation-free steady state.
/// </summary>
public class GemmTests
{
    private static readonly int[] SmallSizes = [0, 1, 2, 3, 7, 13, 31, 33];

    /// <summary>Shapes that cross the block sizes (KC = 512, MC = 192, panel widths 4..32) and mix tiny with large.</summary>
    private static readonly (int M, int N, int K)[] MixedShapes =
    [
        (64, 64, 64), (65, 65, 65), (127, 129, 257), (129, 127, 13), (257, 33, 31), (13, 257, 65),
        (1, 257, 129), (257, 1, 129), (129, 257, 1), (2, 3, 600), (31, 65, 513), (33, 2049, 3),
        (145, 31, 7), (12, 32, 256), (6, 16, 17), (100, 100, 1),
    ];

    public static TheoryData<string, bool, bool> PathsAndTransposes()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (GemmPath path in GemmPaths.Supported)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    data.Add(path.ToString(), ta, tb);
        return data;
    }

    public static TheoryData<string> Paths()
    {
        var data = new TheoryData<string>();
        foreach (GemmPath path in GemmPaths.Supported) data.Add(path.ToString());
        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndTransposes))]
    public void SmallShapesMatchReference(string pathName, bool transA, bool transB)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        var rng = new Random(1);
        foreach (int m in SmallSizes)
            foreach (int n in SmallSizes)
                foreach (int k in SmallSizes)
                    Check(path, transA, transB, m, n, k, pad: (m + n + k) % 3, accumulate: (m + n + k) % 2 == 0, rng);
    }

    [Theory]
    [MemberData(nameof(PathsAndTransposes))]
    public void MixedShapesMatchReference(string pathName, bool transA, bool transB)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        var rng = new Random(2);
        foreach (var (m, n, k) in MixedShapes)
            foreach (bool accumulate in new[] { false, true })
                Check(path, transA, transB, m, n, k, pad: accumulate ? 5 : 0, accumulate, rng);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void ThreadedSlicesMatchReference(string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        var rng = new Random(6);
        // Slices by columns, by rows, and of vector shapes (the internal overload splits even small products).
        (int M, int N, int K, bool TransA, bool TransB)[] shapes =
        [
            (29, 97, 41, false, false), (77, 13, 40, true, true), (1, 110, 40, false, true),
            (210, 1, 20, true, false), (5, 67, 30, false, true), (40, 40, 530, true, false),
        ];
        foreach (var (m, n, k, ta, tb) in shapes)
            foreach (int threads in new[] { 2, 3 })
                Check(path, ta, tb, m, n, k, pad: 1, accumulate: threads == 3, rng, threads);
        float[] w = RandomArray(rng, 100 * 30);
        var packed = new PackedMatrix(path, w, 100, 30, 30, transpose: true);
        foreach (var (m, threads) in new[] { (1, 2), (32, 2), (45, 3) })
            CheckPacked(packed, w, 30, m, accumulate: m == 45, rng, threads);
    }

    /// <summary>
    /// Batch invariance: a row of C is bit-identical whether computed alone (m = 1, the GEMV paths),
    /// within a larger product (any tile position), or split over threads.
    /// </summary>
    [Theory]
    [MemberData(nameof(PathsAndTransposes))]
    public void RowsDoNotDependOnTheRestOfTheBatch(string pathName, bool transA, bool transB)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        var rng = new Random(8);
        (int M, int N, int K)[] shapes = [(3, 40, 7), (14, 33, 600), (25, 130, 1100), (13, 1, 50), (5, 2, 3)];
        foreach (var (m, n, k) in shapes)
        {
            int lda = (transA ? m : k) + 2, ldb = (transB ? k : n) + 1, ldc = n + 3;
            float[] a = RandomArray(rng, (transA ? k : m) * lda), b = RandomArray(rng, (transB ? n : k) * ldb);
            float[] c0 = RandomArray(rng, m * ldc);
            foreach (bool accumulate in new[] { false, true })
            {
                float[] all = (float[])c0.Clone(), split = (float[])c0.Clone(), alone = (float[])c0.Clone();
                Gemm.Multiply(path, 1, transA, transB, m, n, k, a, lda, b, ldb, all, ldc, accumulate);
                Gemm.Multiply(path, 2, transA, transB, m, n, k, a, lda, b, ldb, split, ldc, accumulate);
                for (int i = 0; i < m; i++)
                {
                    // Row i of op(A): row i of A, or column i of A when transposed.
                    ReadOnlySpan<float> ai = transA ? a.AsSpan(i) : a.AsSpan(i * lda);
                    Gemm.Multiply(path, 1, transA, transB, 1, n, k, ai, lda, b, ldb, alone.AsSpan(i * ldc), ldc, accumulate);
                }
                string what = $"{path} {(transA ? 'T' : 'N')}{(transB ? 'T' : 'N')} m={m} n={n} k={k} acc={accumulate}";
                AssertBitEqual(all, split, what + " (2 threads)");
                AssertBitEqual(all, alone, what + " (rows alone)");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void PackedRowsDoNotDependOnTheRestOfTheBatch(string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        var rng = new Random(9);
        foreach (var (n, k) in new[] { (200, 37), (97, 1030) })
        {
            float[] w = RandomArray(rng, n * k);
            var packed = new PackedMatrix(path, w, n, k, k, transpose: true);
            int m = 27;
            float[] a = RandomArray(rng, m * k), all = new float[m * n], alone = new float[m * n], plain = new float[m * n];
            Gemm.Multiply(1, m, a, k, packed, all, n, accumulate: false);
            for (int i = 0; i < m; i++) Gemm.Multiply(1, 1, a.AsSpan(i * k), k, packed, alone.AsSpan(i * n), n, accumulate: false);
            Gemm.Multiply(path, 1, false, true, m, n, k, a, k, w, k, plain, n, accumulate: false);
            AssertBitEqual(all, alone, $"{packed} rows alone");
            AssertBitEqual(all, plain, $"{packed} vs unpacked");
        }
    }

    [Fact]
    public void VectorPathsAgreeBitForBit()
    {
        // AVX2 and AVX-512 differ in tile shape but not in the order of each element's sum (n ≥ 2).
        if (!GemmPaths.IsSupported(GemmPath.Avx512) || !GemmPaths.IsSupported(GemmPath.Avx2)) return;
        var rng = new Random(10);
        foreach (var (m, n, k) in new[] { (1, 70, 530), (29, 45, 1100), (64, 64, 64) })
            foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
            {
                float[] a = RandomArray(rng, m * k), b = RandomArray(rng, k * n), c512 = new float[m * n], c256 = new float[m * n];
                Gemm.Multiply(GemmPath.Avx512, 1, ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, c512, n, false);
                Gemm.Multiply(GemmPath.Avx2, 1, ta, tb, m, n, k, a, ta ? m : k, b, tb ? k : n, c256, n, false);
                AssertBitEqual(c512, c256, $"AVX-512 vs AVX2 m={m} n={n} k={k} {ta} {tb}");
            }
    }

    private static void AssertBitEqual(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected exactly {expected[i]:R}");
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void SteadyStateDoesNotAllocate(string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        var rng = new Random(7);
        float[] a = RandomArray(rng, 300 * 300), b = RandomArray(rng, 300 * 300), c = new float[300 * 300];
        var packed = new PackedMatrix(path, b, 300, 200, 200, transpose: true);
        void Calls()
        {
            Gemm.Multiply(path, 1, false, true, 70, 300, 200, a, 200, b, 200, c, 300, accumulate: false);
            Gemm.Multiply(path, 2, true, false, 200, 250, 300, a, 200, b, 250, c, 300, accumulate: true);
            Gemm.Multiply(path, 1, false, false, 1, 300, 200, a, 200, b, 300, c, 300, accumulate: false);
            Gemm.Multiply(path, 1, true, false, 250, 1, 200, a, 250, b, 1, c, 300, accumulate: true);
            Gemm.Multiply(1, 32, a, 200, packed, c, 300, accumulate: false);
            Gemm.Multiply(1, 1, a, 200, packed, c, 300, accumulate: true);
        }
        Calls(); // first calls size the per-thread packing buffers and start the worker
        // When another test holds the shared workers, the two-thread product runs whole on this
        // thread: size this thread's buffers for that case too.
        Gemm.Multiply(path, 1, true, false, 200, 250, 300, a, 200, b, 250, c, 300, accumulate: true);
        // A round can still allocate once for a reason outside the GEMM (the worker thread created late
        // because other tests held the workers during the warm-up), so the steady state is the least of
        // three rounds: a real per-call allocation would show in every one of them.
        long least = long.MaxValue;
        for (int round = 0; round < 3; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Calls();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, least);
    }

    [Fact]
    public void DefaultPathIsTheBestSupported()
    {
        Assert.Contains(GemmPaths.Best, GemmPaths.Supported);
        var rng = new Random(3);
        float[] a = RandomArray(rng, 33 * 65), b = RandomArray(rng, 65 * 31), c = new float[33 * 31], r = new float[33 * 31];
        Gemm.Multiply(false, false, 33, 31, 65, a, b, c, accumulate: false);
        Gemm.Multiply(GemmPath.Scalar, false, false, 33, 31, 65, a, 65, b, 31, r, 31, accumulate: false);
        for (int i = 0; i < c.Length; i++) Assert.Equal(r[i], c[i], 1e-4f);
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void PackedMatrixMatchesReference(string pathName)
    {
        var path = Enum.Parse<GemmPath>(pathName);
        var rng = new Random(4);
        int[] ms = [0, 1, 2, 5, 12, 13, 32, 65];
        (int K, int N)[] kns = [(1, 1), (7, 31), (256, 32), (257, 33), (600, 100), (64, 1024), (3, 4100)];
        foreach (bool transpose in new[] { true, false })
            foreach (var (k, n) in kns)
            {
                // The source is stored [rows, cols] with a padded row stride.
                int rows = transpose ? n : k, cols = transpose ? k : n, ld = cols + 3;
                float[] w = RandomArray(rng, rows * ld);
                var packed = new PackedMatrix(path, w, rows, cols, ld, transpose);
                Assert.Equal(k, packed.K);
                Assert.Equal(n, packed.N);
                foreach (int m in ms)
                {
                    if ((long)m * n * k > 3_000_000) continue;
                    CheckPacked(packed, w, ld, m, accumulate: m % 2 == 1, rng);
                }
                // Repack with new values reuses the storage and changes the product.
                float[] w2 = RandomArray(rng, rows * ld);
                packed.Repack(w2, ld);
                CheckPacked(packed, w2, ld, 3, accumulate: false, rng);
            }
    }

    [Fact]
    public void PackedMatrixTakesContiguousSources()
    {
        var rng = new Random(5);
        float[] w = RandomArray(rng, 40 * 24), h = RandomArray(rng, 3 * 24);
        var packed = new PackedMatrix(w, 40, 24, transpose: true); // W [40, 24]; op(B) = Wᵀ [24, 40]
        float[] c = new float[3 * 40], r = new float[3 * 40];
        Gemm.Multiply(3, h, 24, packed, c, 40, accumulate: false);
        Gemm.Reference(false, true, 3, 40, 24, h, 24, w, 24, r, 40, accumulate: false);
        for (int i = 0; i < c.Length; i++) Assert.Equal(r[i], c[i], 1e-4f);
        packed.Repack(w); // same values: same result, through the contiguous overload
        c.AsSpan().Clear();
        Gemm.Multiply(3, h, packed, c, accumulate: false);
        for (int i = 0; i < c.Length; i++) Assert.Equal(r[i], c[i], 1e-4f);
    }

    [Fact]
    public void BadArgumentsThrow()
    {
        float[] a = new float[6], b = new float[6], c = new float[4];
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, -1, 2, 3, a, 3, b, 2, c, 2, false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 3, a, 2, b, 2, c, 2, false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 4, a, 4, b, 2, c, 2, false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 3, 3, a, 3, b, 3, c, 3, false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(true, true, 2, 2, 3, a, 2, b, 3, c, 1, false));
        var packed = new PackedMatrix(b, 3, 2, transpose: false);
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(2, a, 2, packed, c, 2, false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(3, a, 3, packed, c, 2, false));
        Assert.Throws<ArgumentException>(() => packed.Repack(new float[5]));
        Assert.Throws<ArgumentException>(() => new PackedMatrix(b, 3, 3, transpose: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.MaxThreads = 0);
    }

    [Fact]
    public void AThreadScopeSetsTheThreadsOfALargeProductButNotOfASmallOne()
    {
        using (Gemm.UseThreads(2))
        {
            Assert.Equal(2, Gemm.ThreadsFor(256, 256, 256));
            Assert.Equal(1, Gemm.ThreadsFor(8, 8, 8));
            using (Gemm.UseThreads(1)) Assert.Equal(1, Gemm.ThreadsFor(256, 256, 256));
            Assert.Equal(2, Gemm.ThreadsFor(256, 256, 256));
        }
    }

    [Fact]
    public void ZeroInnerDimensionClearsOrKeepsC()
    {
        float[] c = [1, 2, 3, 4];
        Gemm.Multiply(false, false, 2, 2, 0, [], [], c, accumulate: true);
        Assert.Equal([1f, 2, 3, 4], c);
        Gemm.Multiply(false, false, 2, 2, 0, [], [], c, accumulate: false);
        Assert.Equal([0f, 0, 0, 0], c);
    }

    // ---- helpers ----

    private static float[] RandomArray(Random rng, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    private static void Check(GemmPath path, bool transA, bool transB, int m, int n, int k, int pad, bool accumulate, Random rng, int threads = 1)
    {
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        float[] a = RandomArray(rng, Math.Max(0, aRows * lda - pad));
        float[] b = RandomArray(rng, Math.Max(0, bRows * ldb - pad));
        float[] c = RandomArray(rng, Math.Max(0, m * ldc - pad));
        float[] c0 = (float[])c.Clone();
        Gemm.Multiply(path, threads, transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
        Verify($"{path} {(transA ? 'T' : 'N')}{(transB ? 'T' : 'N')} m={m} n={n} k={k} pad={pad} acc={accumulate} threads={threads}",
            m, n, k, a, lda, transA, b, ldb, transB, c0, c, ldc, accumulate);
    }

    private static void CheckPacked(PackedMatrix packed, float[] w, int ldw, int m, bool accumulate, Random rng, int threads = 1)
    {
        int k = packed.K, n = packed.N, lda = k + 1, ldc = n + 2;
        float[] a = RandomArray(rng, Math.Max(0, m * lda - 1));
        float[] c = RandomArray(rng, Math.Max(0, m * ldc - 2));
        float[] c0 = (float[])c.Clone();
        Gemm.Multiply(threads, m, a, lda, packed, c, ldc, accumulate);
        Verify($"{packed} m={m} acc={accumulate} threads={threads}", m, n, k, a, lda, false, w, ldw, packed.Transposed,
            c0, c, ldc, accumulate);
    }

    /// <summary>Compares with the exact product; entries of C outside the m×n block must be untouched.</summary>
    private static void Verify(string what, int m, int n, int k, float[] sa, int lda, bool transA, float[] sb, int ldb, bool transB,
        float[] c0, float[] c, int ldc, bool accumulate)
    {
        // op(A) as [m, k] and op(B)ᵀ as [n, k] in double, so the inner loop is contiguous.
        var a = new double[m * k];
        var bt = new double[n * k];
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++) a[i * k + p] = transA ? sa[p * lda + i] : sa[i * lda + p];
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++) bt[j * k + p] = transB ? sb[j * ldb + p] : sb[p * ldb + j];
        var inside = new bool[c.Length];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int at = i * ldc + j;
                inside[at] = true;
                double exact = accumulate ? c0[at] : 0.0, magnitude = Math.Abs(exact);
                ReadOnlySpan<double> ai = a.AsSpan(i * k, k), bj = bt.AsSpan(j * k, k);
                for (int p = 0; p < ai.Length; p++)
                {
                    double term = ai[p] * bj[p];
                    exact += term;
                    magnitude += Math.Abs(term);
                }
                double tolerance = 2e-7 * (k + 2) * magnitude + 1e-30;
                if (!(Math.Abs(c[at] - exact) <= tolerance))
                    Assert.Fail($"{what}: C[{i},{j}] = {c[at]}, expected {exact} (tolerance {tolerance:G3})");
            }
        for (int at = 0; at < c.Length; at++)
            if (!inside[at] && c[at] != c0[at])
                Assert.Fail($"{what}: C[{at / ldc},{at % ldc}] outside the product was overwritten");
    }
}
