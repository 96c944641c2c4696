using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Carousel.Kernels;

/// <summary>
/// AVX-512 micro-kernel: a 12×32 tile of C held in 24 zmm accumulators (two 16-float vectors per row).
/// Per step p: two loads of B̃, twelve broadcasts of Ã, 24 FMAs. That leaves 8 of the 32 zmm registers
/// for the B vectors and broadcasts, so nothing spills; 24 independent FMA chains hide the 4-cycle
/// latency of Zen 5's two 512-bit FMA pipes.
/// </summary>
internal readonly unsafe struct Avx512Kernel : IGemmKernel
{
    public static int MR => 12;
    public static int NR => 32;

    public static void Tile(int rows, int cols, int kc, float* a, float* b, float* c, nint ldc, bool accumulate)
    {
        if (cols == 32)
        {
            Dispatch(rows, kc, a, b, c, ldc, accumulate);
            return;
        }
        // Partial tile at the right edge of C: compute the full tile into a scratch tile, copy what fits.
        float* t = stackalloc float[12 * 32];
        Dispatch(rows, kc, a, b, t, 32, false);
        for (int r = 0; r < rows; r++)
        {
            float* cr = c + r * ldc, tr = t + r * 32;
            if (accumulate) for (int j = 0; j < cols; j++) cr[j] += tr[j];
            else for (int j = 0; j < cols; j++) cr[j] = tr[j];
        }
    }

    private static void Dispatch(int rows, int kc, float* a, float* b, float* c, nint ldc, bool accumulate)
    {
        switch (rows)
        {
            case 12: Rows<R12>(kc, a, b, c, ldc, accumulate); break;
            case 11: Rows<R11>(kc, a, b, c, ldc, accumulate); break;
            case 10: Rows<R10>(kc, a, b, c, ldc, accumulate); break;
            case 9: Rows<R9>(kc, a, b, c, ldc, accumulate); break;
            case 8: Rows<R8>(kc, a, b, c, ldc, accumulate); break;
            case 7: Rows<R7>(kc, a, b, c, ldc, accumulate); break;
            case 6: Rows<R6>(kc, a, b, c, ldc, accumulate); break;
            case 5: Rows<R5>(kc, a, b, c, ldc, accumulate); break;
            case 4: Rows<R4>(kc, a, b, c, ldc, accumulate); break;
            case 3: Rows<R3>(kc, a, b, c, ldc, accumulate); break;
            case 2: Rows<R2>(kc, a, b, c, ldc, accumulate); break;
            default: Rows<R1>(kc, a, b, c, ldc, accumulate); break;
        }
    }

    /// <summary>The tile for a compile-time row count; rows ≥ TRows.Value are removed by the JIT.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TRows>(int kc, float* a, float* b, float* c, nint ldc, bool accumulate)
        where TRows : struct, IRowCount
    {
        int n = TRows.Value;
        Vector512<float> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default;
        Vector512<float> c3a = default, c3b = default, c4a = default, c4b = default, c5a = default, c5b = default;
        Vector512<float> c6a = default, c6b = default, c7a = default, c7b = default, c8a = default, c8b = default;
        Vector512<float> c9a = default, c9b = default, cAa = default, cAb = default, cBa = default, cBb = default;

        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Avx512F.LoadVector512(b);
            Vector512<float> b1 = Avx512F.LoadVector512(b + 16);
            Vector512<float> s;
            s = Vector512.Create(a[0]); c0a = Avx512F.FusedMultiplyAdd(s, b0, c0a); c0b = Avx512F.FusedMultiplyAdd(s, b1, c0b);
            if (n > 1) { s = Vector512.Create(a[1]); c1a = Avx512F.FusedMultiplyAdd(s, b0, c1a); c1b = Avx512F.FusedMultiplyAdd(s, b1, c1b); }
            if (n > 2) { s = Vector512.Create(a[2]); c2a = Avx512F.FusedMultiplyAdd(s, b0, c2a); c2b = Avx512F.FusedMultiplyAdd(s, b1, c2b); }
            if (n > 3) { s = Vector512.Create(a[3]); c3a = Avx512F.FusedMultiplyAdd(s, b0, c3a); c3b = Avx512F.FusedMultiplyAdd(s, b1, c3b); }
            if (n > 4) { s = Vector512.Create(a[4]); c4a = Avx512F.FusedMultiplyAdd(s, b0, c4a); c4b = Avx512F.FusedMultiplyAdd(s, b1, c4b); }
            if (n > 5) { s = Vector512.Create(a[5]); c5a = Avx512F.FusedMultiplyAdd(s, b0, c5a); c5b = Avx512F.FusedMultiplyAdd(s, b1, c5b); }
            if (n > 6) { s = Vector512.Create(a[6]); c6a = Avx512F.FusedMultiplyAdd(s, b0, c6a); c6b = Avx512F.FusedMultiplyAdd(s, b1, c6b); }
            if (n > 7) { s = Vector512.Create(a[7]); c7a = Avx512F.FusedMultiplyAdd(s, b0, c7a); c7b = Avx512F.FusedMultiplyAdd(s, b1, c7b); }
            if (n > 8) { s = Vector512.Create(a[8]); c8a = Avx512F.FusedMultiplyAdd(s, b0, c8a); c8b = Avx512F.FusedMultiplyAdd(s, b1, c8b); }
            if (n > 9) { s = Vector512.Create(a[9]); c9a = Avx512F.FusedMultiplyAdd(s, b0, c9a); c9b = Avx512F.FusedMultiplyAdd(s, b1, c9b); }
            if (n > 10) { s = Vector512.Create(a[10]); cAa = Avx512F.FusedMultiplyAdd(s, b0, cAa); cAb = Avx512F.FusedMultiplyAdd(s, b1, cAb); }
            if (n > 11) { s = Vector512.Create(a[11]); cBa = Avx512F.FusedMultiplyAdd(s, b0, cBa); cBb = Avx512F.FusedMultiplyAdd(s, b1, cBb); }
            a += 12;
            b += 32;
        }

        Store(c, c0a, c0b, accumulate);
        if (n > 1) Store(c + ldc, c1a, c1b, accumulate);
        if (n > 2) Store(c + 2 * ldc, c2a, c2b, accumulate);
        if (n > 3) Store(c + 3 * ldc, c3a, c3b, accumulate);
        if (n > 4) Store(c + 4 * ldc, c4a, c4b, accumulate);
        if (n > 5) Store(c + 5 * ldc, c5a, c5b, accumulate);
        if (n > 6) Store(c + 6 * ldc, c6a, c6b, accumulate);
        if (n > 7) Store(c + 7 * ldc, c7a, c7b, accumulate);
        if (n > 8) Store(c + 8 * ldc, c8a, c8b, accumulate);
        if (n > 9) Store(c + 9 * ldc, c9a, c9b, accumulate);
        if (n > 10) Store(c + 10 * ldc, cAa, cAb, accumulate);
        if (n > 11) Store(c + 11 * ldc, cBa, cBb, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> x, Vector512<float> y, bool accumulate)
    {
        if (accumulate)
        {
            x = Avx512F.Add(x, Avx512F.LoadVector512(c));
            y = Avx512F.Add(y, Avx512F.LoadVector512(c + 16));
        }
        Avx512F.Store(c, x);
        Avx512F.Store(c + 16, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row(int n, int kc, float* a, float* b, float* c, bool accumulate)
    {
        nint panel = (nint)kc * 32;
        int j = 0;
        // Four panels (128 columns) at a time: eight independent chains hide the FMA latency.
        for (; j + 128 <= n; j += 128, b += 4 * panel)
        {
            Vector512<float> x0 = default, x1 = default, y0 = default, y1 = default;
            Vector512<float> z0 = default, z1 = default, w0 = default, w1 = default;
            float* b0 = b, b1 = b + panel, b2 = b + 2 * panel, b3 = b + 3 * panel;
            for (int p = 0; p < kc; p++, b0 += 32, b1 += 32, b2 += 32, b3 += 32)
            {
                Vector512<float> s = Vector512.Create(a[p]);
                x0 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(b0), x0);
                x1 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(b0 + 16), x1);
                y0 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(b1), y0);
                y1 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(b1 + 16), y1);
                z0 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(b2), z0);
                z1 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(b2 + 16), z1);
                w0 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(b3), w0);
                w1 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(b3 + 16), w1);
            }
            Store(c + j, x0, x1, accumulate);
            Store(c + j + 32, y0, y1, accumulate);
            Store(c + j + 64, z0, z1, accumulate);
            Store(c + j + 96, w0, w1, accumulate);
        }
        for (; j < n; j += 32, b += panel)
        {
            Vector512<float> x0 = default, x1 = default;
            float* bp = b;
            for (int p = 0; p < kc; p++, bp += 32)
            {
                Vector512<float> s = Vector512.Create(a[p]);
                x0 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(bp), x0);
                x1 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(bp + 16), x1);
            }
            if (j + 32 <= n)
            {
                Store(c + j, x0, x1, accumulate);
                continue;
            }
            // The last, partial panel goes through a scratch row.
            RowTail(n - j, x0, x1, c + j, accumulate);
        }
    }

    private static void RowTail(int cols, Vector512<float> x0, Vector512<float> x1, float* c, bool accumulate)
    {
        float* t = stackalloc float[32];
        Avx512F.Store(t, x0);
        Avx512F.Store(t + 16, x1);
        if (accumulate) for (int q = 0; q < cols; q++) c[q] += t[q];
        else for (int q = 0; q < cols; q++) c[q] = t[q];
    }
}
