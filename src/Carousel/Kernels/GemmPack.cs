using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Carousel.Kernels;

/// <summary>
/// Packing of GEMM operands into micro-panels. A panel holds up to w "vectors" (rows of op(A), or
/// columns of op(B)) over kc steps, interleaved so the micro-kernel reads it sequentially:
/// dst[p·w + j] = vector j at step p, zero for j ≥ r (the padding keeps edge tiles harmless).
/// A vector is either strided across rows of the source ("copy" layout: element (p, j) at src[p·ld + j])
/// or contiguous in one source row ("transposed" layout: element (p, j) at src[j·ld + p]).
/// op(A) is transposed layout unless transA; op(B) is copy layout unless transB.
/// </summary>
internal static unsafe class GemmPack
{
    /// <summary>
    /// Packs count vectors into ⌈count / w⌉ consecutive panels of kc·w floats each.
    /// Vector j starts at src + j (copy layout) or src + j·ld (transposed layout).
    /// </summary>
    public static void Block(bool transposed, float* src, nint ld, int count, int kc, float* dst, int w, bool simd)
    {
        if (!transposed)
        {
            CopyBlock(src, ld, count, kc, dst, w, simd);
            return;
        }
        for (int j0 = 0; j0 < count; j0 += w)
        {
            Panel(true, src + j0 * ld, ld, Math.Min(w, count - j0), kc, dst, w, simd);
            dst += (nint)kc * w;
        }
    }

    /// <summary>
    /// Copy layout, eight source rows at a time across all panels. Reading whole panels instead would
    /// revisit every source row kc times with a large stride (4 KB rows alias to the same L1 set), and
    /// one row at a time would write to every panel at a stride of kc·w floats (same problem on stores).
    /// </summary>
    private static void CopyBlock(float* src, nint ld, int count, int kc, float* dst, int w, bool simd)
    {
        nint panel = (nint)kc * w;
        int full = count / w * w, rest = count - full;
        const int chunk = 8; // rows per pass: 8 source lines per L1 set even at a 4 KB row stride
        for (int p0 = 0; p0 < kc; p0 += chunk)
        {
            int p1 = Math.Min(kc, p0 + chunk);
            float* d0 = dst + (nint)p0 * w;
            for (int j0 = 0; j0 < full; j0 += w, d0 += panel)
            {
                float* s = src + p0 * ld + j0, d = d0;
                if (simd && w == 12)
                    for (int p = p0; p < p1; p++, s += ld, d += 12)
                    {
                        Vector256.Store(Vector256.Load(s), d);
                        Vector128.Store(Vector128.Load(s + 8), d + 8);
                    }
                else
                    for (int p = p0; p < p1; p++, s += ld, d += w) CopyRow(s, d, w, simd);
            }
            if (rest > 0)
            {
                float* s = src + p0 * ld + full, d = d0;
                for (int p = p0; p < p1; p++, s += ld, d += w)
                {
                    CopyRow(s, d, rest, simd);
                    new Span<float>(d + rest, w - rest).Clear();
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow(float* s, float* d, int r, bool simd)
    {
        int j = 0;
        if (simd)
        {
            for (; j + 8 <= r; j += 8) Vector256.Store(Vector256.Load(s + j), d + j);
            if (j + 4 <= r)
            {
                Vector128.Store(Vector128.Load(s + j), d + j);
                j += 4;
            }
        }
        for (; j < r; j++) d[j] = s[j];
    }

    /// <summary>Packs one panel of r ≤ w vectors over kc steps.</summary>
    public static void Panel(bool transposed, float* src, nint ld, int r, int kc, float* dst, int w, bool simd)
    {
        if (transposed) Transposed(src, ld, r, kc, dst, w, simd);
        else Copy(src, ld, r, kc, dst, w, simd);
        if (r < w)
            for (int p = 0; p < kc; p++)
                new Span<float>(dst + (nint)p * w + r, w - r).Clear();
    }

    private static void Copy(float* src, nint ld, int r, int kc, float* dst, int w, bool simd)
    {
        for (int p = 0; p < kc; p++, src += ld, dst += w) CopyRow(src, dst, r, simd);
    }

    private static void Transposed(float* src, nint ld, int r, int kc, float* dst, int w, bool simd)
    {
        int j = 0;
        if (simd && Avx.IsSupported)
        {
            // 8×8 blocks (then 4×8) transposed in registers. The p loop is outside, so each pass writes
            // eight whole panel rows (8·w contiguous floats) while reading 32 bytes of each source row.
            int r8 = r & ~7, r4 = r & ~3;
            int p = 0;
            for (; p + 8 <= kc; p += 8)
            {
                float* s = src + p, d = dst + (nint)p * w;
                int q = 0;
                for (; q < r8; q += 8) Transpose8x8(s + q * ld, ld, d + q, w);
                for (; q < r4; q += 4)
                {
                    float* s0 = s + q * ld;
                    Transpose4x8(s0, s0 + ld, s0 + 2 * ld, s0 + 3 * ld, d + q, w);
                }
            }
            for (; p < kc; p++)
            {
                float* d = dst + (nint)p * w;
                for (int q = 0; q < r4; q++) d[q] = src[q * ld + p];
            }
            j = r4;
        }
        for (; j < r; j++)
        {
            float* s = src + j * ld, d = dst + j;
            for (int p = 0; p < kc; p++, d += w) *d = s[p];
        }
    }

    /// <summary>Rows s, s + ld, ..., s + 7ld (8 floats each) become 8 columns of 8 floats at d, d + w, ..., d + 7w.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* s, nint ld, float* d, nint w)
    {
        Vector256<float> r0 = Avx.LoadVector256(s), r1 = Avx.LoadVector256(s + ld);
        Vector256<float> r2 = Avx.LoadVector256(s + 2 * ld), r3 = Avx.LoadVector256(s + 3 * ld);
        Vector256<float> r4 = Avx.LoadVector256(s + 4 * ld), r5 = Avx.LoadVector256(s + 5 * ld);
        Vector256<float> r6 = Avx.LoadVector256(s + 6 * ld), r7 = Avx.LoadVector256(s + 7 * ld);
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Vector256<float> t4 = Avx.UnpackLow(r4, r5), t5 = Avx.UnpackHigh(r4, r5);
        Vector256<float> t6 = Avx.UnpackLow(r6, r7), t7 = Avx.UnpackHigh(r6, r7);
        // u_q (rows 0-3) and v_q (rows 4-7): lane 0 = column q, lane 1 = column q + 4.
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Vector256<float> v0 = Avx.Shuffle(t4, t6, 0x44), v1 = Avx.Shuffle(t4, t6, 0xEE);
        Vector256<float> v2 = Avx.Shuffle(t5, t7, 0x44), v3 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, v0, 0x20));
        Avx.Store(d + w, Avx.Permute2x128(u1, v1, 0x20));
        Avx.Store(d + 2 * w, Avx.Permute2x128(u2, v2, 0x20));
        Avx.Store(d + 3 * w, Avx.Permute2x128(u3, v3, 0x20));
        Avx.Store(d + 4 * w, Avx.Permute2x128(u0, v0, 0x31));
        Avx.Store(d + 5 * w, Avx.Permute2x128(u1, v1, 0x31));
        Avx.Store(d + 6 * w, Avx.Permute2x128(u2, v2, 0x31));
        Avx.Store(d + 7 * w, Avx.Permute2x128(u3, v3, 0x31));
    }

    /// <summary>Rows s0..s3 (8 floats each) become 8 columns of 4 floats at d, d + w, ..., d + 7w.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x8(float* s0, float* s1, float* s2, float* s3, float* d, nint w)
    {
        Vector256<float> r0 = Avx.LoadVector256(s0), r1 = Avx.LoadVector256(s1);
        Vector256<float> r2 = Avx.LoadVector256(s2), r3 = Avx.LoadVector256(s3);
        // Per 128-bit lane: t0 = [r0_0 r1_0 r0_1 r1_1], t1 = [r0_2 r1_2 r0_3 r1_3], likewise t2, t3 for r2, r3.
        Vector256<float> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1);
        Vector256<float> t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        // u_q lane 0 = column q, lane 1 = column q + 4.
        Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
        Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
        Sse.Store(d, u0.GetLower());
        Sse.Store(d + w, u1.GetLower());
        Sse.Store(d + 2 * w, u2.GetLower());
        Sse.Store(d + 3 * w, u3.GetLower());
        Sse.Store(d + 4 * w, u0.GetUpper());
        Sse.Store(d + 5 * w, u1.GetUpper());
        Sse.Store(d + 6 * w, u2.GetUpper());
        Sse.Store(d + 7 * w, u3.GetUpper());
    }
}
