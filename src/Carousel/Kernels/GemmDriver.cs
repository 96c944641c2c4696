namespace Carousel.Kernels;

/// <summary>
/// The blocked GEMM (Goto/BLIS loop nest), generic over the micro-kernel so the JIT compiles one
/// specialized copy per instruction set:
/// <code>
/// for jc in n by NC                       B block: KC × NC
///   for pc in k by KC                     pack op(B)[pc.., jc..] into NR-wide panels
///     for ic in m by MC                   pack op(A)[ic.., pc..] into MR-high panels (stays in L2)
///       for jr in nc by NR                one B panel (KC × NR, from L1/L2)
///         for ir in mc by MR              micro-kernel: MR × NR tile of C
/// </code>
/// </summary>
internal static unsafe class GemmDriver
{
    /// <summary>
    /// Depth of a packed block. The micro-kernel reads its A panel (12×KC) and B panel (KC×32) from
    /// L1/L2 at ~15 bytes per cycle, well within Zen 5's L2 bandwidth, so a deep block (fewer passes
    /// over C, and k = 512 of the recurrent shapes in one block) measured best: 256..768 were within
    /// noise on squares, 512 a little ahead on m = 32 shapes.
    /// </summary>
    public const int KC = 512;

    /// <summary>Rows of op(A) packed at once (a multiple of every MR): MC×KC floats (384 KB) stay in the 1 MB L2.</summary>
    public const int MC = 192;

    /// <summary>Columns of op(B) packed at once.</summary>
    public const int NC = 2048;

    public static void Run<TK>(bool transA, bool transB, int m, int n, int k,
        float* a, nint lda, float* b, nint ldb, float* c, nint ldc, bool accumulate, bool simd)
        where TK : struct, IGemmKernel
    {
        int mr = TK.MR, nr = TK.NR;
        GemmWorkspace ws = GemmWorkspace.Current;
        int kcMax = Math.Min(KC, k);
        float* bp = ws.B.Get((long)kcMax * RoundUp(Math.Min(NC, n), nr));
        float* ap = ws.A.Get((long)kcMax * RoundUp(Math.Min(MC, m), mr));

        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                bool add = accumulate || pc > 0;
                float* bs = transB ? b + jc * ldb + pc : b + pc * ldb + jc;
                GemmPack.Block(transB, bs, ldb, nc, kc, bp, nr, simd);
                for (int ic = 0; ic < m; ic += MC)
                {
                    int mc = Math.Min(MC, m - ic);
                    float* asrc = transA ? a + pc * lda + ic : a + ic * lda + pc;
                    GemmPack.Block(!transA, asrc, lda, mc, kc, ap, mr, simd);
                    Macro<TK>(mc, nc, kc, ap, bp, c + ic * ldc + jc, ldc, add);
                }
            }
        }
    }

    /// <summary>
    /// C[m, n] (+)= A[m, k] · op(B)[:, cols] with op(B) already packed (layout of <see cref="PackedMatrix"/>);
    /// the columns start at panel <paramref name="panelOffset"/> and n may be a slice of packed.N.
    /// </summary>
    public static void RunPacked<TK>(int m, int n, int k, float* a, nint lda, PackedMatrix packed, int panelOffset,
        float* c, nint ldc, bool accumulate, bool simd)
        where TK : struct, IGemmKernel
    {
        int mr = TK.MR, nr = TK.NR;
        nint blockStride = RoundUp(packed.N, nr);
        float* data = packed.Data;
        if (m == 1)
        {
            // GEMV: every packed panel is streamed once, against one contiguous row of A.
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                bool add = accumulate || pc > 0;
                TK.Row(n, kc, a + pc, data + pc * blockStride + (nint)panelOffset * kc * nr, c, add);
            }
            return;
        }
        int kcMax = Math.Min(KC, k);
        float* ap = GemmWorkspace.Current.A.Get((long)kcMax * RoundUp(Math.Min(MC, m), mr));
        for (int pc = 0; pc < k; pc += KC)
        {
            int kc = Math.Min(KC, k - pc);
            bool add = accumulate || pc > 0;
            for (int ic = 0; ic < m; ic += MC)
            {
                int mc = Math.Min(MC, m - ic);
                GemmPack.Block(true, a + ic * lda + pc, lda, mc, kc, ap, mr, simd);
                Macro<TK>(mc, n, kc, ap, data + pc * blockStride + (nint)panelOffset * kc * nr, c + ic * ldc, ldc, add);
            }
        }
    }

    /// <summary>C[mc, nc] (+)= packed A block · packed B block.</summary>
    public static void Macro<TK>(int mc, int nc, int kc, float* ap, float* bp, float* c, nint ldc, bool accumulate)
        where TK : struct, IGemmKernel
    {
        int mr = TK.MR, nr = TK.NR;
        for (int j = 0; j < nc; j += nr)
        {
            int cols = Math.Min(nr, nc - j);
            float* a = ap;
            for (int i = 0; i < mc; i += mr)
            {
                TK.Tile(Math.Min(mr, mc - i), cols, kc, a, bp, c + i * ldc + j, ldc, accumulate);
                a += (nint)kc * mr;
            }
            bp += (nint)kc * nr;
        }
    }

    /// <summary>
    /// A product with n = 1 (any m): each C[i, 0] is a dot product of op(A)'s row i and op(B)'s column,
    /// computed in place without packing.
    /// </summary>
    public static void RunColumn(GemmPath path, bool transA, bool transB, int m, int k,
        float* a, nint lda, float* b, nint ldb, float* c, nint ldc, bool accumulate)
    {
        GemmWorkspace ws = GemmWorkspace.Current;
        // x = op(B)[p, 0]: b[p·ldb], or b[p] when transposed; y = C[i, 0] = c[i·ldc].
        float* x = !transB && k > 1 ? Gather(ws.X, b, ldb, k) : b;
        float* y = ldc == 1 || m == 1 ? c : accumulate ? Gather(ws.Y, c, ldc, m) : ws.Y.Get(m);
        if (!transA) Gemv.Dot(path, m, k, a, lda, x, y, accumulate);       // A [m, k]: rows · x
        else Gemv.Axpy(path, m, k, a, lda, x, y, accumulate);              // A [k, m]
        if (y != c)
            for (int i = 0; i < m; i++) c[i * ldc] = y[i];
    }

    /// <summary>
    /// One row of C (m = 1): packing all of B for one row would cost as much as the product, so B is
    /// read in place, in the tile kernels' summation order (batch invariance): axpy over B's rows when
    /// B is [k, n], register-transposed 8×8 blocks when B is [n, k].
    /// </summary>
    public static void RunRow(GemmPath path, bool transA, bool transB, int n, int k,
        float* a, nint lda, float* b, nint ldb, float* c, bool accumulate)
    {
        GemmWorkspace ws = GemmWorkspace.Current;
        // x = op(A)[0, p]: a[p], or a[p·lda] when transposed.
        float* x = transA && k > 1 ? Gather(ws.X, a, lda, k) : a;
        if (transB) Gemv.RowOfTransposed(path, n, k, b, ldb, x, c, accumulate);  // B [n, k]
        else Gemv.Axpy(path, n, k, b, ldb, x, c, accumulate);                   // B [k, n]: Σ_p x[p]·row p
    }

    private static float* Gather(AlignedBuffer buffer, float* src, nint stride, int count)
    {
        float* x = buffer.Get(count);
        for (int i = 0; i < count; i++) x[i] = src[i * stride];
        return x;
    }

    public static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}
