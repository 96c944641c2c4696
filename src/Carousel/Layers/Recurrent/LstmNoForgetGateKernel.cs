using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Carousel.Layers.Recurrent;

/// <summary>
/// LSTM without forget gate (Hochreiter &amp; Schmidhuber 1997): i,o = σ(·), g = tanh(·), c = cPrev + i⊙g, h = o⊙tanh(c).
/// Gate blocks i, g, o. Cache: [i, g, o, tanh c].
/// </summary>
internal sealed class LstmNoForgetGateKernel : CellKernel
{
    public static readonly LstmNoForgetGateKernel Instance = new();

    public override int CacheWidth(int hidden) => 4 * hidden;

    public override void ForwardRow(int hidden, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec,
        ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, Span<float> cache, Span<float> h, Span<float> c)
    {
        int n = hidden;
        var gates = cache[..(3 * n)];
        TensorPrimitives.Add(pre, rec, gates);
        var i = gates[..n]; var g = gates.Slice(n, n); var o = gates.Slice(2 * n, n);
        TensorPrimitives.Sigmoid(i, i);
        TensorPrimitives.Tanh(g, g);
        TensorPrimitives.Sigmoid(o, o);
        var tanhC = cache.Slice(3 * n, n);
        TensorPrimitives.FusedMultiplyAdd(i, g, cPrev, c);
        TensorPrimitives.Tanh(c, tanhC);
        TensorPrimitives.Multiply(o, tanhC, h);
    }

    public override void BackwardRow(int hidden, ReadOnlySpan<float> cache, ReadOnlySpan<float> hPrev,
        ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> dc,
        Span<float> dPre, Span<float> dRec, Span<float> dhPrev)
    {
        int j = BackwardLanes<VectorLanes>(hidden, 0, cache, dh, dc, dPre);
        BackwardLanes<ScalarLane>(hidden, j, cache, dh, dc, dPre);   // the tail, if any
        dhPrev[..hidden].Clear();
    }

    // Lanes [start, n) of one row, T.Count at a time while whole ones fit; returns where it stopped. Inlined with all
    // of ILanes so that no call is left in the loop (see ILanes).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BackwardLanes<T>(int n, int start, ReadOnlySpan<float> cache, ReadOnlySpan<float> dh, Span<float> dc,
        Span<float> dPre) where T : struct, ILanes<T>
    {
        int j = start;
        T one = T.One;   // hoisted by hand: the JIT would reload T.One at every use
        for (; j <= n - T.Count; j += T.Count)
        {
            T i = T.Load(cache, j), g = T.Load(cache, n + j), o = T.Load(cache, 2 * n + j), tanhC = T.Load(cache, 3 * n + j);
            T dhj = T.Load(dh, j);
            T dcj = T.Load(dc, j) + dhj * o * (one - tanhC * tanhC);
            T.Store(dcj * g * i * (one - i), dPre, j);
            T.Store(dcj * i * (one - g * g), dPre, n + j);
            T.Store(dhj * tanhC * o * (one - o), dPre, 2 * n + j);
            T.Store(dcj, dc, j);   // the constant error carousel: dc/dcPrev = 1
        }
        return j;
    }
}
