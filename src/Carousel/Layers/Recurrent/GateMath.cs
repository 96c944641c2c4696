using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Carousel.Layers.Recurrent;

/// <summary>
/// exp, σ and tanh of 16 floats at once, in float arithmetic, for the cell kernels' fused one-pass rows.
/// </summary>
/// <remarks>
/// Why not TensorPrimitives: its float exp widens to double, and a row done with it is eight passes over the gates; a
/// fused row reads pre and rec once and writes the gates, the state and h once (1.3–1.6× faster per row, measured with
/// `gemm-quick --cells`). Accuracy over [−10, 10] against double (bench probe): σ within 1.5e−7 relative, tanh within
/// 1.6e−7 relative everywhere — TensorPrimitives.Tanh is only absolutely accurate near 0 (4.6 % relative at 1e−6).
/// Every lane is computed the same way wherever it sits in a row, so a row's tail, padded to 16, gives the same bits.
/// </remarks>
internal static class GateMath
{
    /// <summary>Lanes per call.</summary>
    public const int Width = 16;

    /// <summary>True when the fused rows can run (AVX-512); otherwise the kernels keep their TensorPrimitives passes.</summary>
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated;

    /// <summary>The <see cref="Width"/> floats of <paramref name="source"/> from <paramref name="index"/> on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ReadOnlySpan<float> source, int index) => Vector512.Create(source.Slice(index, Width));

    /// <summary>
    /// e^x: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r by Cephes' degree-7 polynomial, 2^n put in the exponent bits.
    /// x is clamped to [−87.3, 88] so that 2^n stays a normal float (e^88 ≈ 1.7e38 stands in for overflow, e^−87.3 ≈ 1.2e−38
    /// for underflow: σ and tanh built on it are then exact to rounding); NaN stays NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var clamped = Vector512.MinNative(Vector512.MaxNative(x, Vector512.Create(-87.3f)), Vector512.Create(88.0f));
        var n = Vector512.Round(clamped * 1.44269504088896341f);
        // r = x − n·ln 2, ln 2 split in two so that n·0.693359375 is exact
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), clamped);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500e-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        var expR = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        var twoToN = ((Vector512.ConvertToInt32(n) + Vector512.Create(127)) << 23).AsSingle();
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), expR * twoToN, x);
    }

    /// <summary>σ(x) = 1 / (1 + e^−x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Exp(-x));

    /// <summary>
    /// tanh x = sign(x)·(1 − t)/(1 + t) with t = e^−2|x|, except for |x| &lt; 0.3, where 1 − t would cancel: there the odd
    /// Taylor series to x¹¹ (next term below 6e−8 relative).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        var a = Vector512.Abs(x);
        var t = Exp(a * -2f);
        var large = (Vector512<float>.One - t) / (Vector512<float>.One + t);
        var z = a * a;
        var p = Vector512.Create(-1382f / 155925f);
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(62f / 2835f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(-17f / 315f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(2f / 15f));
        p = Vector512.FusedMultiplyAdd(p, z, Vector512.Create(-1f / 3f));
        var small = Vector512.FusedMultiplyAdd(p * z, a, a);
        var magnitude = Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(0.3f)), small, large);
        return Vector512.CopySign(magnitude, x);
    }
}
