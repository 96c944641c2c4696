using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Carousel.Kernels;

/// <summary>
/// Weights kept as bfloat16 for batch-1 inference: op(B) = Wᵀ of a row-major W [N, K], each value rounded to the
/// nearest bfloat16 (the upper half of its float32 bits, ties to even), so the matrix-vector product y = x · Wᵀ reads
/// half the bytes of float32 weights. Batch-1 sampling streams every weight once per token, so its speed is
/// those bytes. The products widen each weight back to float32 (a 16-bit shift) and multiply-add in float32 with
/// the activations kept in float32: the only error is the weights' rounding (relative 2⁻⁹ at most).
/// <para>Layout: panels of <see cref="PanelWidth"/> output columns; panel p holds, for k = 0 … K−1, the weights of
/// columns [32p, 32p + 32) (zero past N), so each k is one 64-byte line.</para>
/// </summary>
public sealed unsafe class Bf16Matrix
{
    /// <summary>Output columns per panel: two 16-float vectors.</summary>
    public const int PanelWidth = 32;

    private readonly AlignedBuffer _storage = new();
    private readonly ushort* _data;
    private readonly int _panels;

    /// <summary>The inner dimension of the product (columns of W).</summary>
    public int K { get; }

    /// <summary>The outputs of the product (rows of W).</summary>
    public int N { get; }

    /// <summary>Rounds W [n, k] (row-major, contiguous) to bfloat16 in the panel layout.</summary>
    public Bf16Matrix(ReadOnlySpan<float> weights, int n, int k)
    {
        if (n < 0 || k < 0) throw new ArgumentException($"Negative matrix size {n}×{k}.");
        if ((long)n * k > weights.Length) throw new ArgumentException("Matrix is too small for its shape.");
        N = n;
        K = k;
        _panels = (n + PanelWidth - 1) / PanelWidth;
        // The buffer counts floats: two bfloat16 per float.
        _data = (ushort*)_storage.Get(Math.Max(1, (long)_panels * k * PanelWidth / 2));
        Repack(weights);
    }

    /// <summary>Rounds new values of W of the same shape into the same storage.</summary>
    public void Repack(ReadOnlySpan<float> weights)
    {
        if ((long)N * K > weights.Length) throw new ArgumentException("Matrix is too small for its shape.");
        for (int p = 0; p < _panels; p++)
        {
            ushort* panel = _data + (long)p * K * PanelWidth;
            for (int c = 0; c < PanelWidth; c++)
            {
                int j = p * PanelWidth + c;
                for (int kk = 0; kk < K; kk++)
                    panel[(long)kk * PanelWidth + c] = j < N ? Round(weights[j * K + kk]) : (ushort)0;
            }
        }
    }

    /// <summary>The bfloat16 nearest to <paramref name="value"/> (ties to even), as its 16 bits; NaN stays NaN.</summary>
    public static ushort Round(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>The float32 value of a bfloat16.</summary>
    public static float Widen(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary><paramref name="value"/> rounded to bfloat16 and back: what a weight is in this matrix.</summary>
    public static float RoundTrip(float value) => Widen(Round(value));

    /// <summary>y [N] = (accumulate ? y : 0) + x [K] · Wᵀ, with the weights widened from bfloat16.</summary>
    public void MultiplyVector(ReadOnlySpan<float> x, Span<float> y, bool accumulate) => MultiplyVector(x, y, accumulate, Avx512F.IsSupported);

    /// <summary>As the public product, on the AVX-512 path or the scalar one (tests run both).</summary>
    internal void MultiplyVector(ReadOnlySpan<float> x, Span<float> y, bool accumulate, bool vectors)
    {
        if (vectors && !Avx512F.IsSupported) throw new PlatformNotSupportedException("AVX-512F is not supported on this CPU.");
        if (x.Length < K) throw new ArgumentException($"Expected an input of {K}, got {x.Length}.");
        if (y.Length < N) throw new ArgumentException($"Expected an output of {N}, got {y.Length}.");
        fixed (float* px = x, py = y)
        {
            if (vectors) Multiply512(px, py, accumulate);
            else MultiplyScalar(px, py, accumulate);
        }
    }

    private void Multiply512(float* x, float* y, bool accumulate)
    {
        float* tail = stackalloc float[PanelWidth];
        for (int p = 0; p < _panels; p++)
        {
            ushort* panel = _data + (long)p * K * PanelWidth;
            // Two chains per half (even and odd k) so that the multiply-adds of consecutive k do not wait on each other.
            Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, b0 = a0, b1 = a0;
            int kk = 0;
            for (; kk + 1 < K; kk += 2)
            {
                ushort* line = panel + (long)kk * PanelWidth;
                var xk = Vector512.Create(x[kk]);
                var xk1 = Vector512.Create(x[kk + 1]);
                a0 = Avx512F.FusedMultiplyAdd(Widen(line), xk, a0);
                a1 = Avx512F.FusedMultiplyAdd(Widen(line + 16), xk, a1);
                b0 = Avx512F.FusedMultiplyAdd(Widen(line + PanelWidth), xk1, b0);
                b1 = Avx512F.FusedMultiplyAdd(Widen(line + PanelWidth + 16), xk1, b1);
            }
            if (kk < K)
            {
                ushort* line = panel + (long)kk * PanelWidth;
                var xk = Vector512.Create(x[kk]);
                a0 = Avx512F.FusedMultiplyAdd(Widen(line), xk, a0);
                a1 = Avx512F.FusedMultiplyAdd(Widen(line + 16), xk, a1);
            }
            a0 += b0;
            a1 += b1;
            int j0 = p * PanelWidth, count = Math.Min(PanelWidth, N - j0);
            if (count == PanelWidth)
            {
                if (accumulate) { a0 += Vector512.Load(y + j0); a1 += Vector512.Load(y + j0 + 16); }
                a0.Store(y + j0);
                a1.Store(y + j0 + 16);
            }
            else
            {
                a0.Store(tail);
                a1.Store(tail + 16);
                for (int c = 0; c < count; c++) y[j0 + c] = accumulate ? y[j0 + c] + tail[c] : tail[c];
            }
        }
    }

    // 16 bfloat16 → 16 float32: zero-extend each to 32 bits and shift it into the upper half.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Widen(ushort* sixteen) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512Int32(Vector256.Load(sixteen)), 16).AsSingle();

    private void MultiplyScalar(float* x, float* y, bool accumulate)
    {
        for (int j = 0; j < N; j++)
        {
            ushort* column = _data + (long)(j / PanelWidth) * K * PanelWidth + j % PanelWidth;
            float sum = 0;
            for (int kk = 0; kk < K; kk++) sum += Widen(column[(long)kk * PanelWidth]) * x[kk];
            y[j] = accumulate ? y[j] + sum : sum;
        }
    }
}
