using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Carousel.Layers.Recurrent;

/// <summary>LSTM: i,f,o = σ(·), g = tanh(·), c = f⊙cPrev + i⊙g, h = o⊙tanh(c). Cache: [i, f, g, o, tanh c].</summary>
internal sealed class LstmKernel : CellKernel
{
    public static readonly LstmKernel Instance = new();

    public override int CacheWidth(int hidden) => 5 * hidden;

    public override void ForwardRow(int hidden, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec,
        ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, Span<float> cache, Span<float> h, Span<float> c)
    {
        int n = hidden;
        var gates = cache[..(4 * n)];
        TensorPrimitives.Add(pre, rec, gates);
        TensorPrimitives.Sigmoid(gates[..(2 * n)], gates[..(2 * n)]);              // i, f
        TensorPrimitives.Tanh(gates.Slice(2 * n, n), gates.Slice(2 * n, n));       // g
        TensorPrimitives.Sigmoid(gates.Slice(3 * n, n), gates.Slice(3 * n, n));    // o
        var i = gates[..n]; var f = gates.Slice(n, n); var g = gates.Slice(2 * n, n); var o = gates.Slice(3 * n, n);
        var tanhC = cache.Slice(4 * n, n);
        TensorPrimitives.Multiply(f, cPrev, c);
        TensorPrimitives.FusedMultiplyAdd(i, g, c, c);
        TensorPrimitives.Tanh(c, tanhC);
        TensorPrimitives.Multiply(o, tanhC, h);
    }

    public override void BackwardRow(int hidden, ReadOnlySpan<float> cache, ReadOnlySpan<float> hPrev,
        ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> dc,
        Span<float> dPre, Span<float> dRec, Span<float> dhPrev)
    {
        int j = BackwardLanes<VectorLanes>(hidden, 0, cache, cPrev, dh, dc, dPre);
        BackwardLanes<ScalarLane>(hidden, j, cache, cPrev, dh, dc, dPre);   // the tail, if any
        dhPrev[..hidden].Clear();
    }

    // Lanes [start, n) of one row, T.Count at a time while whole ones fit; returns where it stopped. Inlined with all
    // of ILanes so that no call is left in the loop (see ILanes).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BackwardLanes<T>(int n, int start, ReadOnlySpan<float> cache, ReadOnlySpan<float> cPrev,
        ReadOnlySpan<float> dh, Span<float> dc, Span<float> dPre) where T : struct, ILanes<T>
    {
        int j = start;
        T one = T.One;   // hoisted by hand: the JIT would reload T.One at every use
        for (; j <= n - T.Count; j += T.Count)
        {
            T i = T.Load(cache, j), f = T.Load(cache, n + j), g = T.Load(cache, 2 * n + j), o = T.Load(cache, 3 * n + j);
            T tanhC = T.Load(cache, 4 * n + j);
            T dhj = T.Load(dh, j);
            T dcj = T.Load(dc, j) + dhj * o * (one - tanhC * tanhC);
            T.Store(dcj * g * i * (one - i), dPre, j);
            T.Store(dcj * T.Load(cPrev, j) * f * (one - f), dPre, n + j);
            T.Store(dcj * i * (one - g * g), dPre, 2 * n + j);
            T.Store(dhj * tanhC * o * (one - o), dPre, 3 * n + j);
            T.Store(dcj * f, dc, j);
        }
        return j;
    }
}
