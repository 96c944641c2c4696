using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Carousel.Kernels;

/// <summary>
/// Matrix-vector products for GEMMs with one row or one column (m = 1 or n = 1). Packing would cost as
/// much as the product itself, so these read the matrix in place, once, and run at memory bandwidth.
/// Two forms cover all transposes:
/// <list type="bullet">
/// <item><see cref="Dot"/>: y[i] (+)= Σ_p M[i·ld + p]·x[p] (the vector runs along the matrix rows);</item>
/// <item><see cref="Axpy"/>: y[j] (+)= Σ_p M[p·ld + j]·x[p] (the vector runs down the columns).</item>
/// </list>
/// x and y are contiguous; the caller gathers or scatters strided vectors.
/// </summary>
internal static unsafe class Gemv
{
    public static void Dot(GemmPath path, int rows, int len, float* m, nint ld, float* x, float* y, bool accumulate)
    {
        switch (path)
        {
            case GemmPath.Avx512: Dot512(rows, len, m, ld, x, y, accumulate); break;
            case GemmPath.Avx2: Dot256(rows, len, m, ld, x, y, accumulate); break;
            default: DotScalar(rows, len, m, ld, x, y, accumulate); break;
        }
    }

    public static void Axpy(GemmPath path, int cols, int len, float* m, nint ld, float* x, float* y, bool accumulate)
    {
        switch (path)
        {
            case GemmPath.Avx512: Axpy512(cols, len, m, ld, x, y, accumulate); break;
            case GemmPath.Avx2: Axpy256(cols, len, m, ld, x, y, accumulate); break;
            default: AxpyScalar(cols, len, m, ld, x, y, accumulate); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* y, float value, bool accumulate)
    {
        if (accumulate) *y += value;
        else *y = value;
    }

    // ---- AVX-512 ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot512(int rows, int len, float* m, nint ld, float* x, float* y, bool accumulate)
    {
        int i = 0;
        // Four rows at a time, two chains each: eight independent FMA chains.
        for (; i + 4 <= rows; i += 4)
        {
            float* m0 = m + i * ld, m1 = m0 + ld, m2 = m1 + ld, m3 = m2 + ld;
            Vector512<float> a0 = default, a1 = default, b0 = default, b1 = default;
            Vector512<float> c0 = default, c1 = default, d0 = default, d1 = default;
            int p = 0;
            for (; p + 32 <= len; p += 32)
            {
                Vector512<float> x0 = Avx512F.LoadVector512(x + p), x1 = Avx512F.LoadVector512(x + p + 16);
                a0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m0 + p), x0, a0);
                a1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m0 + p + 16), x1, a1);
                b0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m1 + p), x0, b0);
                b1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m1 + p + 16), x1, b1);
                c0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m2 + p), x0, c0);
                c1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m2 + p + 16), x1, c1);
                d0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m3 + p), x0, d0);
                d1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m3 + p + 16), x1, d1);
            }
            if (p + 16 <= len)
            {
                Vector512<float> x0 = Avx512F.LoadVector512(x + p);
                a0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m0 + p), x0, a0);
                b0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m1 + p), x0, b0);
                c0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m2 + p), x0, c0);
                d0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m3 + p), x0, d0);
                p += 16;
            }
            float s0 = Vector512.Sum(Avx512F.Add(a0, a1)), s1 = Vector512.Sum(Avx512F.Add(b0, b1));
            float s2 = Vector512.Sum(Avx512F.Add(c0, c1)), s3 = Vector512.Sum(Avx512F.Add(d0, d1));
            for (; p < len; p++)
            {
                float xp = x[p];
                s0 += m0[p] * xp; s1 += m1[p] * xp; s2 += m2[p] * xp; s3 += m3[p] * xp;
            }
            Put(y + i, s0, accumulate); Put(y + i + 1, s1, accumulate);
            Put(y + i + 2, s2, accumulate); Put(y + i + 3, s3, accumulate);
        }
        for (; i < rows; i++)
        {
            float* m0 = m + i * ld;
            Vector512<float> a0 = default, a1 = default;
            int p = 0;
            for (; p + 32 <= len; p += 32)
            {
                a0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m0 + p), Avx512F.LoadVector512(x + p), a0);
                a1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m0 + p + 16), Avx512F.LoadVector512(x + p + 16), a1);
            }
            if (p + 16 <= len)
            {
                a0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(m0 + p), Avx512F.LoadVector512(x + p), a0);
                p += 16;
            }
            float s = Vector512.Sum(Avx512F.Add(a0, a1));
            for (; p < len; p++) s += m0[p] * x[p];
            Put(y + i, s, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy512(int cols, int len, float* m, nint ld, float* x, float* y, bool accumulate)
    {
        int j = 0;
        // 64 columns at a time, even and odd p in separate accumulators: eight independent chains.
        for (; j + 64 <= cols; j += 64)
        {
            Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
            float* mp = m + j;
            int p = 0;
            for (; p + 2 <= len; p += 2, mp += 2 * ld)
            {
                Vector512<float> s = Vector512.Create(x[p]);
                a0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp), s, a0);
                a1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp + 16), s, a1);
                a2 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp + 32), s, a2);
                a3 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp + 48), s, a3);
                s = Vector512.Create(x[p + 1]);
                b0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp + ld), s, b0);
                b1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp + ld + 16), s, b1);
                b2 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp + ld + 32), s, b2);
                b3 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp + ld + 48), s, b3);
            }
            if (p < len)
            {
                Vector512<float> s = Vector512.Create(x[p]);
                a0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp), s, a0);
                a1 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp + 16), s, a1);
                a2 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp + 32), s, a2);
                a3 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp + 48), s, a3);
            }
            Store512(y + j, Avx512F.Add(a0, b0), accumulate);
            Store512(y + j + 16, Avx512F.Add(a1, b1), accumulate);
            Store512(y + j + 32, Avx512F.Add(a2, b2), accumulate);
            Store512(y + j + 48, Avx512F.Add(a3, b3), accumulate);
        }
        for (; j + 16 <= cols; j += 16)
        {
            Vector512<float> a0 = default, b0 = default;
            float* mp = m + j;
            int p = 0;
            for (; p + 2 <= len; p += 2, mp += 2 * ld)
            {
                a0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp), Vector512.Create(x[p]), a0);
                b0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp + ld), Vector512.Create(x[p + 1]), b0);
            }
            if (p < len) a0 = Avx512F.FusedMultiplyAdd(Avx512F.LoadVector512(mp), Vector512.Create(x[p]), a0);
            Store512(y + j, Avx512F.Add(a0, b0), accumulate);
        }
        if (j < cols) AxpyScalar(cols - j, len, m + j, ld, x, y + j, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* y, Vector512<float> v, bool accumulate)
    {
        if (accumulate) v = Avx512F.Add(v, Avx512F.LoadVector512(y));
        Avx512F.Store(y, v);
    }

    // ---- AVX2 ----

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot256(int rows, int len, float* m, nint ld, float* x, float* y, bool accumulate)
    {
        int i = 0;
        for (; i + 4 <= rows; i += 4)
        {
            float* m0 = m + i * ld, m1 = m0 + ld, m2 = m1 + ld, m3 = m2 + ld;
            Vector256<float> a0 = default, a1 = default, b0 = default, b1 = default;
            Vector256<float> c0 = default, c1 = default, d0 = default, d1 = default;
            int p = 0;
            for (; p + 16 <= len; p += 16)
            {
                Vector256<float> x0 = Avx.LoadVector256(x + p), x1 = Avx.LoadVector256(x + p + 8);
                a0 = Fma.MultiplyAdd(Avx.LoadVector256(m0 + p), x0, a0);
                a1 = Fma.MultiplyAdd(Avx.LoadVector256(m0 + p + 8), x1, a1);
                b0 = Fma.MultiplyAdd(Avx.LoadVector256(m1 + p), x0, b0);
                b1 = Fma.MultiplyAdd(Avx.LoadVector256(m1 + p + 8), x1, b1);
                c0 = Fma.MultiplyAdd(Avx.LoadVector256(m2 + p), x0, c0);
                c1 = Fma.MultiplyAdd(Avx.LoadVector256(m2 + p + 8), x1, c1);
                d0 = Fma.MultiplyAdd(Avx.LoadVector256(m3 + p), x0, d0);
                d1 = Fma.MultiplyAdd(Avx.LoadVector256(m3 + p + 8), x1, d1);
            }
            float s0 = Vector256.Sum(Avx.Add(a0, a1)), s1 = Vector256.Sum(Avx.Add(b0, b1));
            float s2 = Vector256.Sum(Avx.Add(c0, c1)), s3 = Vector256.Sum(Avx.Add(d0, d1));
            for (; p < len; p++)
            {
                float xp = x[p];
                s0 += m0[p] * xp; s1 += m1[p] * xp; s2 += m2[p] * xp; s3 += m3[p] * xp;
            }
            Put(y + i, s0, accumulate); Put(y + i + 1, s1, accumulate);
            Put(y + i + 2, s2, accumulate); Put(y + i + 3, s3, accumulate);
        }
        for (; i < rows; i++)
        {
            float* m0 = m + i * ld;
            Vector256<float> a0 = default, a1 = default;
            int p = 0;
            for (; p + 16 <= len; p += 16)
            {
                a0 = Fma.MultiplyAdd(Avx.LoadVector256(m0 + p), Avx.LoadVector256(x + p), a0);
                a1 = Fma.MultiplyAdd(Avx.LoadVector256(m0 + p + 8), Avx.LoadVector256(x + p + 8), a1);
            }
            float s = Vector256.Sum(Avx.Add(a0, a1));
            for (; p < len; p++) s += m0[p] * x[p];
            Put(y + i, s, accumulate);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Axpy256(int cols, int len, float* m, nint ld, float* x, float* y, bool accumulate)
    {
        int j = 0;
        for (; j + 32 <= cols; j += 32)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            float* mp = m + j;
            int p = 0;
            for (; p + 2 <= len; p += 2, mp += 2 * ld)
            {
                Vector256<float> s = Vector256.Create(x[p]);
                a0 = Fma.MultiplyAdd(Avx.LoadVector256(mp), s, a0);
                a1 = Fma.MultiplyAdd(Avx.LoadVector256(mp + 8), s, a1);
                a2 = Fma.MultiplyAdd(Avx.LoadVector256(mp + 16), s, a2);
                a3 = Fma.MultiplyAdd(Avx.LoadVector256(mp + 24), s, a3);
                s = Vector256.Create(x[p + 1]);
                b0 = Fma.MultiplyAdd(Avx.LoadVector256(mp + ld), s, b0);
                b1 = Fma.MultiplyAdd(Avx.LoadVector256(mp + ld + 8), s, b1);
                b2 = Fma.MultiplyAdd(Avx.LoadVector256(mp + ld + 16), s, b2);
                b3 = Fma.MultiplyAdd(Avx.LoadVector256(mp + ld + 24), s, b3);
            }
            if (p < len)
            {
                Vector256<float> s = Vector256.Create(x[p]);
                a0 = Fma.MultiplyAdd(Avx.LoadVector256(mp), s, a0);
                a1 = Fma.MultiplyAdd(Avx.LoadVector256(mp + 8), s, a1);
                a2 = Fma.MultiplyAdd(Avx.LoadVector256(mp + 16), s, a2);
                a3 = Fma.MultiplyAdd(Avx.LoadVector256(mp + 24), s, a3);
            }
            Store256(y + j, Avx.Add(a0, b0), accumulate);
            Store256(y + j + 8, Avx.Add(a1, b1), accumulate);
            Store256(y + j + 16, Avx.Add(a2, b2), accumulate);
            Store256(y + j + 24, Avx.Add(a3, b3), accumulate);
        }
        for (; j + 8 <= cols; j += 8)
        {
            Vector256<float> a0 = default, b0 = default;
            float* mp = m + j;
            int p = 0;
            for (; p + 2 <= len; p += 2, mp += 2 * ld)
            {
                a0 = Fma.MultiplyAdd(Avx.LoadVector256(mp), Vector256.Create(x[p]), a0);
                b0 = Fma.MultiplyAdd(Avx.LoadVector256(mp + ld), Vector256.Create(x[p + 1]), b0);
            }
            if (p < len) a0 = Fma.MultiplyAdd(Avx.LoadVector256(mp), Vector256.Create(x[p]), a0);
            Store256(y + j, Avx.Add(a0, b0), accumulate);
        }
        if (j < cols) AxpyScalar(cols - j, len, m + j, ld, x, y + j, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* y, Vector256<float> v, bool accumulate)
    {
        if (accumulate) v = Avx.Add(v, Avx.LoadVector256(y));
        Avx.Store(y, v);
    }

    // ---- scalar ----

    private static void DotScalar(int rows, int len, float* m, nint ld, float* x, float* y, bool accumulate)
    {
        for (int i = 0; i < rows; i++)
        {
            float* mi = m + i * ld;
            float s0 = 0, s1 = 0;
            int p = 0;
            for (; p + 2 <= len; p += 2)
            {
                s0 += mi[p] * x[p];
                s1 += mi[p + 1] * x[p + 1];
            }
            if (p < len) s0 += mi[p] * x[p];
            Put(y + i, s0 + s1, accumulate);
        }
    }

    private static void AxpyScalar(int cols, int len, float* m, nint ld, float* x, float* y, bool accumulate)
    {
        if (!accumulate) new Span<float>(y, cols).Clear();
        for (int p = 0; p < len; p++)
        {
            float xp = x[p];
            float* mp = m + p * ld;
            for (int j = 0; j < cols; j++) y[j] += mp[j] * xp;
        }
    }
}
