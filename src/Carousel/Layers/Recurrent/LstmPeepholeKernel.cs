using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Carousel.Layers.Recurrent;

/// <summary>
/// Peephole LSTM (Gers, Schraudolph &amp; Schmidhuber 2002): i = σ(a_i + p_i⊙cPrev), f = σ(a_f + p_f⊙cPrev), g = tanh(a_g),
/// c = f⊙cPrev + i⊙g, o = σ(a_o + p_o⊙c), h = o⊙tanh(c), where a = pre + rec. Gate blocks i, f, g, o as
/// <see cref="LstmKernel"/>; peepholes [p_i, p_f, p_o] each [H]. Cache: [i, f, g, o, tanh c].
/// </summary>
internal sealed class LstmPeepholeKernel : CellKernel
{
    public static readonly LstmPeepholeKernel Instance = new();

    public override int CacheWidth(int hidden) => 5 * hidden;

    public override void ForwardRow(int hidden, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec,
        ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, Span<float> cache, Span<float> h, Span<float> c)
    {
        int n = hidden;
        var gates = cache[..(4 * n)];
        TensorPrimitives.Add(pre, rec, gates);
        var i = gates[..n]; var f = gates.Slice(n, n); var g = gates.Slice(2 * n, n); var o = gates.Slice(3 * n, n);
        TensorPrimitives.FusedMultiplyAdd(peepholes[..n], cPrev, i, i);
        TensorPrimitives.FusedMultiplyAdd(peepholes.Slice(n, n), cPrev, f, f);
        TensorPrimitives.Sigmoid(gates[..(2 * n)], gates[..(2 * n)]);   // i, f
        TensorPrimitives.Tanh(g, g);
        TensorPrimitives.Multiply(f, cPrev, c);
        TensorPrimitives.FusedMultiplyAdd(i, g, c, c);
        // The output gate looks at the cell it lets out: the new c of this step.
        TensorPrimitives.FusedMultiplyAdd(peepholes.Slice(2 * n, n), c, o, o);
        TensorPrimitives.Sigmoid(o, o);
        var tanhC = cache.Slice(4 * n, n);
        TensorPrimitives.Tanh(c, tanhC);
        TensorPrimitives.Multiply(o, tanhC, h);
    }

    public override void BackwardRow(int hidden, ReadOnlySpan<float> cache, ReadOnlySpan<float> hPrev,
        ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> dc,
        Span<float> dPre, Span<float> dRec, Span<float> dhPrev)
    {
        int j = BackwardLanes<VectorLanes>(hidden, 0, cache, cPrev, peepholes, dh, dc, dPre);
        BackwardLanes<ScalarLane>(hidden, j, cache, cPrev, peepholes, dh, dc, dPre);   // the tail, if any
        dhPrev[..hidden].Clear();
    }

    // Lanes [start, n) of one row, T.Count at a time while whole ones fit; returns where it stopped. Inlined with all
    // of ILanes so that no call is left in the loop (see ILanes).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BackwardLanes<T>(int n, int start, ReadOnlySpan<float> cache, ReadOnlySpan<float> cPrev,
        ReadOnlySpan<float> peepholes, ReadOnlySpan<float> dh, Span<float> dc, Span<float> dPre) where T : struct, ILanes<T>
    {
        int j = start;
        T one = T.One;   // hoisted by hand: the JIT would reload T.One at every use
        for (; j <= n - T.Count; j += T.Count)
        {
            T i = T.Load(cache, j), f = T.Load(cache, n + j), g = T.Load(cache, 2 * n + j), o = T.Load(cache, 3 * n + j);
            T tanhC = T.Load(cache, 4 * n + j);
            T dhj = T.Load(dh, j);
            T dOut = dhj * tanhC * o * (one - o);
            // c reaches the loss through h (via tanh), later steps (dc) and the output gate's peephole.
            T dcj = T.Load(dc, j) + dhj * o * (one - tanhC * tanhC) + dOut * T.Load(peepholes, 2 * n + j);
            T dIn = dcj * g * i * (one - i);
            T dForget = dcj * T.Load(cPrev, j) * f * (one - f);
            T.Store(dIn, dPre, j);
            T.Store(dForget, dPre, n + j);
            T.Store(dcj * i * (one - g * g), dPre, 2 * n + j);
            T.Store(dOut, dPre, 3 * n + j);
            T.Store(dcj * f + dIn * T.Load(peepholes, j) + dForget * T.Load(peepholes, n + j), dc, j);
        }
        return j;
    }
    public override void AddPeepholeGradients(int hidden, ReadOnlySpan<float> dPre, ReadOnlySpan<float> cPrev,
        ReadOnlySpan<float> c, Span<float> dPeepholes)
    {
        int n = hidden;
        // dp_i += da_i⊙cPrev, dp_f += da_f⊙cPrev, dp_o += da_o⊙c
        TensorPrimitives.FusedMultiplyAdd(dPre[..n], cPrev, dPeepholes[..n], dPeepholes[..n]);
        TensorPrimitives.FusedMultiplyAdd(dPre.Slice(n, n), cPrev, dPeepholes.Slice(n, n), dPeepholes.Slice(n, n));
        TensorPrimitives.FusedMultiplyAdd(dPre.Slice(3 * n, n), c, dPeepholes.Slice(2 * n, n), dPeepholes.Slice(2 * n, n));
    }
}
