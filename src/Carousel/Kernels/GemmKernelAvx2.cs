using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Carousel.Kernels;

/// <summary>
/// AVX2 + FMA micro-kernel: a 6×16 tile of C in 12 ymm accumulators (two 8-float vectors per row),
/// plus two B vectors and one broadcast: 15 of the 16 ymm registers.
/// </summary>
internal readonly unsafe struct Avx2Kernel : IGemmKernel
{
    public static int MR => 6;
    public static int NR => 16;

    public static void Tile(int rows, int cols, int kc, float* a, float* b, float* c, nint ldc, bool accumulate)
    {
        if (cols == 16)
        {
            Dispatch(rows, kc, a, b, c, ldc, accumulate);
            return;
        }
        float* t = stackalloc float[6 * 16];
        Dispatch(rows, kc, a, b, t, 16, false);
        for (int r = 0; r < rows; r++)
        {
            float* cr = c + r * ldc, tr = t + r * 16;
            if (accumulate) for (int j = 0; j < cols; j++) cr[j] += tr[j];
            else for (int j = 0; j < cols; j++) cr[j] = tr[j];
        }
    }

    private static void Dispatch(int rows, int kc, float* a, float* b, float* c, nint ldc, bool accumulate)
    {
        switch (rows)
        {
            case 6: Rows<R6>(kc, a, b, c, ldc, accumulate); break;
            case 5: Rows<R5>(kc, a, b, c, ldc, accumulate); break;
            case 4: Rows<R4>(kc, a, b, c, ldc, accumulate); break;
            case 3: Rows<R3>(kc, a, b, c, ldc, accumulate); break;
            case 2: Rows<R2>(kc, a, b, c, ldc, accumulate); break;
            default: Rows<R1>(kc, a, b, c, ldc, accumulate); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows<TRows>(int kc, float* a, float* b, float* c, nint ldc, bool accumulate)
        where TRows : struct, IRowCount
    {
        int n = TRows.Value;
        Vector256<float> c0a = default, c0b = default, c1a = default, c1b = default, c2a = default, c2b = default;
        Vector256<float> c3a = default, c3b = default, c4a = default, c4b = default, c5a = default, c5b = default;

        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Avx.LoadVector256(b);
            Vector256<float> b1 = Avx.LoadVector256(b + 8);
            Vector256<float> s;
            s = Vector256.Create(a[0]); c0a = Fma.MultiplyAdd(s, b0, c0a); c0b = Fma.MultiplyAdd(s, b1, c0b);
            if (n > 1) { s = Vector256.Create(a[1]); c1a = Fma.MultiplyAdd(s, b0, c1a); c1b = Fma.MultiplyAdd(s, b1, c1b); }
            if (n > 2) { s = Vector256.Create(a[2]); c2a = Fma.MultiplyAdd(s, b0, c2a); c2b = Fma.MultiplyAdd(s, b1, c2b); }
            if (n > 3) { s = Vector256.Create(a[3]); c3a = Fma.MultiplyAdd(s, b0, c3a); c3b = Fma.MultiplyAdd(s, b1, c3b); }
            if (n > 4) { s = Vector256.Create(a[4]); c4a = Fma.MultiplyAdd(s, b0, c4a); c4b = Fma.MultiplyAdd(s, b1, c4b); }
            if (n > 5) { s = Vector256.Create(a[5]); c5a = Fma.MultiplyAdd(s, b0, c5a); c5b = Fma.MultiplyAdd(s, b1, c5b); }
            a += 6;
            b += 16;
        }

        Store(c, c0a, c0b, accumulate);
        if (n > 1) Store(c + ldc, c1a, c1b, accumulate);
        if (n > 2) Store(c + 2 * ldc, c2a, c2b, accumulate);
        if (n > 3) Store(c + 3 * ldc, c3a, c3b, accumulate);
        if (n > 4) Store(c + 4 * ldc, c4a, c4b, accumulate);
        if (n > 5) Store(c + 5 * ldc, c5a, c5b, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector256<float> x, Vector256<float> y, bool accumulate)
    {
        if (accumulate)
        {
            x = Avx.Add(x, Avx.LoadVector256(c));
            y = Avx.Add(y, Avx.LoadVector256(c + 8));
        }
        Avx.Store(c, x);
        Avx.Store(c + 8, y);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row(int n, int kc, float* a, float* b, float* c, bool accumulate)
    {
        nint panel = (nint)kc * 16;
        int j = 0;
        // Four panels (64 columns) at a time: eight independent chains.
        for (; j + 64 <= n; j += 64, b += 4 * panel)
        {
            Vector256<float> x0 = default, x1 = default, y0 = default, y1 = default;
            Vector256<float> z0 = default, z1 = default, w0 = default, w1 = default;
            float* b0 = b, b1 = b + panel, b2 = b + 2 * panel, b3 = b + 3 * panel;
            for (int p = 0; p < kc; p++, b0 += 16, b1 += 16, b2 += 16, b3 += 16)
            {
                Vector256<float> s = Vector256.Create(a[p]);
                x0 = Fma.MultiplyAdd(s, Avx.LoadVector256(b0), x0);
                x1 = Fma.MultiplyAdd(s, Avx.LoadVector256(b0 + 8), x1);
                y0 = Fma.MultiplyAdd(s, Avx.LoadVector256(b1), y0);
                y1 = Fma.MultiplyAdd(s, Avx.LoadVector256(b1 + 8), y1);
                z0 = Fma.MultiplyAdd(s, Avx.LoadVector256(b2), z0);
                z1 = Fma.MultiplyAdd(s, Avx.LoadVector256(b2 + 8), z1);
                w0 = Fma.MultiplyAdd(s, Avx.LoadVector256(b3), w0);
                w1 = Fma.MultiplyAdd(s, Avx.LoadVector256(b3 + 8), w1);
            }
            Store(c + j, x0, x1, accumulate);
            Store(c + j + 16, y0, y1, accumulate);
            Store(c + j + 32, z0, z1, accumulate);
            Store(c + j + 48, w0, w1, accumulate);
        }
        for (; j < n; j += 16, b += panel)
        {
            Vector256<float> x0 = default, x1 = default;
            float* bp = b;
            for (int p = 0; p < kc; p++, bp += 16)
            {
                Vector256<float> s = Vector256.Create(a[p]);
                x0 = Fma.MultiplyAdd(s, Avx.LoadVector256(bp), x0);
                x1 = Fma.MultiplyAdd(s, Avx.LoadVector256(bp + 8), x1);
            }
            if (j + 16 <= n)
            {
                Store(c + j, x0, x1, accumulate);
                continue;
            }
            // The last, partial panel goes through a scratch row.
            RowTail(n - j, x0, x1, c + j, accumulate);
        }
    }

    private static void RowTail(int cols, Vector256<float> x0, Vector256<float> x1, float* c, bool accumulate)
    {
        float* t = stackalloc float[16];
        Avx.Store(t, x0);
        Avx.Store(t + 8, x1);
        if (accumulate) for (int q = 0; q < cols; q++) c[q] += t[q];
        else for (int q = 0; q < cols; q++) c[q] = t[q];
    }
}
