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
/// Axpy sums in the micro-kernels' order (one chain per column per k block), so a row computed by it
/// is bit-identical to the same row computed within a larger product. Dot sums along rows, which no
/// tile kernel does; it serves n = 1, where every row of C is computed by it whatever m is.
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

    /// <summary>
    /// y[j] (+)= Σ_p B[j·ld + p]·x[p] for j &lt; rows, summed in the micro-kernels' order (one chain over p
    /// per output and k block). This is one row of A times op(B) = Bᵀ, so it must match a row of the
    /// tiled product bit for bit; the dot-product form (<see cref="Dot"/>) sums in a different order.
    /// Eight rows of B are transposed in registers per 8 steps of p and feed eight FMAs per output vector.
    /// </summary>
    public static void RowOfTransposed(GemmPath path, int rows, int len, float* b, nint ld, float* x, float* y, bool accumulate)
    {
        if (path == GemmPath.Scalar)
        {
            for (int j = 0; j < rows; j++)
                for (int pc = 0; pc < len; pc += GemmDriver.KC)
                {
                    int end = Math.Min(len, pc + GemmDriver.KC);
                    float acc = 0;
                    float* bj = b + j * ld;
                    for (int p = pc; p < end; p++) acc += x[p] * bj[p];
                    Put(y + j, acc, accumulate || pc > 0);
                }
            return;
        }
        RowOfTransposedAvx(rows, len, b, ld, x, y, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RowOfTransposedAvx(int rows, int len, float* b, nint ld, float* x, float* y, bool accumulate)
    {
        int j = 0;
        // 32 outputs (four strips of eight rows) at a time: four independent chains.
        for (; j + 32 <= rows; j += 32)
            for (int pc = 0; pc < len; pc += GemmDriver.KC)
            {
                int end = Math.Min(len, pc + GemmDriver.KC);
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                float* r0 = b + j * ld, r1 = r0 + 8 * ld, r2 = r1 + 8 * ld, r3 = r2 + 8 * ld;
                int p = pc;
                // 16 steps per pass, so each 64-byte line of the 32 rows is used whole while it is in L1
                // (rows a multiple of 4 KB apart share one L1 set and would evict each other).
                for (; p + 16 <= end; p += 16)
                {
                    a0 = Block8(r0 + p, ld, x + p, a0);
                    a0 = Block8(r0 + p + 8, ld, x + p + 8, a0);
                    a1 = Block8(r1 + p, ld, x + p, a1);
                    a1 = Block8(r1 + p + 8, ld, x + p + 8, a1);
                    a2 = Block8(r2 + p, ld, x + p, a2);
                    a2 = Block8(r2 + p + 8, ld, x + p + 8, a2);
                    a3 = Block8(r3 + p, ld, x + p, a3);
                    a3 = Block8(r3 + p + 8, ld, x + p + 8, a3);
                }
                for (; p + 8 <= end; p += 8)
                {
                    a0 = Block8(r0 + p, ld, x + p, a0);
                    a1 = Block8(r1 + p, ld, x + p, a1);
                    a2 = Block8(r2 + p, ld, x + p, a2);
                    a3 = Block8(r3 + p, ld, x + p, a3);
                }
                for (; p < end; p++)
                {
                    Vector256<float> s = Vector256.Create(x[p]);
                    a0 = Fma.MultiplyAdd(s, Column8(r0 + p, ld), a0);
                    a1 = Fma.MultiplyAdd(s, Column8(r1 + p, ld), a1);
                    a2 = Fma.MultiplyAdd(s, Column8(r2 + p, ld), a2);
                    a3 = Fma.MultiplyAdd(s, Column8(r3 + p, ld), a3);
                }
                bool add = accumulate || pc > 0;
                Store256(y + j, a0, add); Store256(y + j + 8, a1, add);
                Store256(y + j + 16, a2, add); Store256(y + j + 24, a3, add);
            }
        for (; j + 8 <= rows; j += 8)
            for (int pc = 0; pc < len; pc += GemmDriver.KC)
            {
                int end = Math.Min(len, pc + GemmDriver.KC);
                Vector256<float> a0 = default;
                float* r0 = b + j * ld;
                int p = pc;
                for (; p + 8 <= end; p += 8) a0 = Block8(r0 + p, ld, x + p, a0);
                for (; p < end; p++) a0 = Fma.MultiplyAdd(Vector256.Create(x[p]), Column8(r0 + p, ld), a0);
                Store256(y + j, a0, accumulate || pc > 0);
            }
        for (; j < rows; j++)
            for (int pc = 0; pc < len; pc += GemmDriver.KC)
            {
                int end = Math.Min(len, pc + GemmDriver.KC);
                float acc = 0;
                float* bj = b + j * ld;
                for (int p = pc; p < end; p++) acc = MathF.FusedMultiplyAdd(x[p], bj[p], acc);
                Put(y + j, acc, accumulate || pc > 0);
            }
    }

    /// <summary>
    /// acc ← acc + x[q]·(column q of the 8×8 block at s) for q = 0..7 in order, where column q holds
    /// s[r·ld + q] for rows r = 0..7 (one lane per output). Rows r and r + 4 are loaded into the two
    /// halves of one register, so 4×4 transposes within the halves give the columns directly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Block8(float* s, nint ld, float* x, Vector256<float> acc)
    {
        float* s4 = s + 4 * ld;
        // Steps 0..3: lane 0 = rows 0..3, lane 1 = rows 4..7.
        Vector256<float> r0 = Vector256.Create(Sse.LoadVector128(s), Sse.LoadVector128(s4));
        Vector256<float> r1 = Vector256.Create(Sse.LoadVector128(s + ld), Sse.LoadVector128(s4 + ld));
        Vector256<float> r2 = Vector256.Create(Sse.LoadVector128(s + 2 * ld), Sse.LoadVector128(s4 + 2 * ld));
        Vector256<float> r3 = Vector256.Create(Sse.LoadVector128(s + 3 * ld), Sse.LoadVector128(s4 + 3 * ld));
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        acc = Fma.MultiplyAdd(Vector256.Create(x[0]), Avx.Shuffle(t0, t2, 0x44), acc);
        acc = Fma.MultiplyAdd(Vector256.Create(x[1]), Avx.Shuffle(t0, t2, 0xEE), acc);
        acc = Fma.MultiplyAdd(Vector256.Create(x[2]), Avx.Shuffle(t1, t3, 0x44), acc);
        acc = Fma.MultiplyAdd(Vector256.Create(x[3]), Avx.Shuffle(t1, t3, 0xEE), acc);
        // Steps 4..7.
        r0 = Vector256.Create(Sse.LoadVector128(s + 4), Sse.LoadVector128(s4 + 4));
        r1 = Vector256.Create(Sse.LoadVector128(s + ld + 4), Sse.LoadVector128(s4 + ld + 4));
        r2 = Vector256.Create(Sse.LoadVector128(s + 2 * ld + 4), Sse.LoadVector128(s4 + 2 * ld + 4));
        r3 = Vector256.Create(Sse.LoadVector128(s + 3 * ld + 4), Sse.LoadVector128(s4 + 3 * ld + 4));
        t0 = Avx.UnpackLow(r0, r1); t1 = Avx.UnpackHigh(r0, r1);
        t2 = Avx.UnpackLow(r2, r3); t3 = Avx.UnpackHigh(r2, r3);
        acc = Fma.MultiplyAdd(Vector256.Create(x[4]), Avx.Shuffle(t0, t2, 0x44), acc);
        acc = Fma.MultiplyAdd(Vector256.Create(x[5]), Avx.Shuffle(t0, t2, 0xEE), acc);
        acc = Fma.MultiplyAdd(Vector256.Create(x[6]), Avx.Shuffle(t1, t3, 0x44), acc);
        acc = Fma.MultiplyAdd(Vector256.Create(x[7]), Avx.Shuffle(t1, t3, 0xEE), acc);
        return acc;
    }

    /// <summary>s[0], s[ld], ..., s[7·ld]: one step of p for eight rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Column8(float* s, nint ld) =>
        Vector256.Create(s[0], s[ld], s[2 * ld], s[3 * ld], s[4 * ld], s[5 * ld], s[6 * ld], s[7 * ld]);

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
        // 128 columns at a time: eight independent chains, each one column vector over p.
        for (; j + 128 <= cols; j += 128)
            for (int pc = 0; pc < len; pc += GemmDriver.KC)
            {
                int end = Math.Min(len, pc + GemmDriver.KC);
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector512<float> a4 = default, a5 = default, a6 = default, a7 = default;
                float* mp = m + pc * ld + j;
                for (int p = pc; p < end; p++, mp += ld)
                {
                    Vector512<float> s = Vector512.Create(x[p]);
                    a0 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(mp), a0);
                    a1 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(mp + 16), a1);
                    a2 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(mp + 32), a2);
                    a3 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(mp + 48), a3);
                    a4 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(mp + 64), a4);
                    a5 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(mp + 80), a5);
                    a6 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(mp + 96), a6);
                    a7 = Avx512F.FusedMultiplyAdd(s, Avx512F.LoadVector512(mp + 112), a7);
                }
                bool add = accumulate || pc > 0;
                float* yj = y + j;
                Store512(yj, a0, add); Store512(yj + 16, a1, add); Store512(yj + 32, a2, add); Store512(yj + 48, a3, add);
                Store512(yj + 64, a4, add); Store512(yj + 80, a5, add); Store512(yj + 96, a6, add); Store512(yj + 112, a7, add);
            }
        for (; j + 16 <= cols; j += 16)
            for (int pc = 0; pc < len; pc += GemmDriver.KC)
            {
                int end = Math.Min(len, pc + GemmDriver.KC);
                Vector512<float> a0 = default;
                float* mp = m + pc * ld + j;
                for (int p = pc; p < end; p++, mp += ld)
                    a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(x[p]), Avx512F.LoadVector512(mp), a0);
                Store512(y + j, a0, accumulate || pc > 0);
            }
        if (j < cols) AxpyColumns(true, cols - j, len, m + j, ld, x, y + j, accumulate);
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
        for (; j + 64 <= cols; j += 64)
            for (int pc = 0; pc < len; pc += GemmDriver.KC)
            {
                int end = Math.Min(len, pc + GemmDriver.KC);
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector256<float> a4 = default, a5 = default, a6 = default, a7 = default;
                float* mp = m + pc * ld + j;
                for (int p = pc; p < end; p++, mp += ld)
                {
                    Vector256<float> s = Vector256.Create(x[p]);
                    a0 = Fma.MultiplyAdd(s, Avx.LoadVector256(mp), a0);
                    a1 = Fma.MultiplyAdd(s, Avx.LoadVector256(mp + 8), a1);
                    a2 = Fma.MultiplyAdd(s, Avx.LoadVector256(mp + 16), a2);
                    a3 = Fma.MultiplyAdd(s, Avx.LoadVector256(mp + 24), a3);
                    a4 = Fma.MultiplyAdd(s, Avx.LoadVector256(mp + 32), a4);
                    a5 = Fma.MultiplyAdd(s, Avx.LoadVector256(mp + 40), a5);
                    a6 = Fma.MultiplyAdd(s, Avx.LoadVector256(mp + 48), a6);
                    a7 = Fma.MultiplyAdd(s, Avx.LoadVector256(mp + 56), a7);
                }
                bool add = accumulate || pc > 0;
                float* yj = y + j;
                Store256(yj, a0, add); Store256(yj + 8, a1, add); Store256(yj + 16, a2, add); Store256(yj + 24, a3, add);
                Store256(yj + 32, a4, add); Store256(yj + 40, a5, add); Store256(yj + 48, a6, add); Store256(yj + 56, a7, add);
            }
        for (; j + 8 <= cols; j += 8)
            for (int pc = 0; pc < len; pc += GemmDriver.KC)
            {
                int end = Math.Min(len, pc + GemmDriver.KC);
                Vector256<float> a0 = default;
                float* mp = m + pc * ld + j;
                for (int p = pc; p < end; p++, mp += ld)
                    a0 = Fma.MultiplyAdd(Vector256.Create(x[p]), Avx.LoadVector256(mp), a0);
                Store256(y + j, a0, accumulate || pc > 0);
            }
        if (j < cols) AxpyColumns(true, cols - j, len, m + j, ld, x, y + j, accumulate);
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

    private static void AxpyScalar(int cols, int len, float* m, nint ld, float* x, float* y, bool accumulate) =>
        AxpyColumns(false, cols, len, m, ld, x, y, accumulate);

    /// <summary>
    /// One column at a time, in the micro-kernels' order: a chain over p per k block of KC, then added
    /// to y. With <paramref name="fused"/> each step is one FMA (as in the vector kernels), otherwise a
    /// multiply and an add (as in the scalar kernel).
    /// </summary>
    private static void AxpyColumns(bool fused, int cols, int len, float* m, nint ld, float* x, float* y, bool accumulate)
    {
        for (int j = 0; j < cols; j++)
            for (int pc = 0; pc < len; pc += GemmDriver.KC)
            {
                int end = Math.Min(len, pc + GemmDriver.KC);
                float acc = 0;
                float* mp = m + pc * ld + j;
                if (fused)
                    for (int p = pc; p < end; p++, mp += ld) acc = MathF.FusedMultiplyAdd(x[p], *mp, acc);
                else
                    for (int p = pc; p < end; p++, mp += ld) acc += x[p] * *mp;
                Put(y + j, acc, accumulate || pc > 0);
            }
    }
}
