using System.Numerics;
using System.Numerics.Tensors;

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
        int n = hidden, j = 0;
        var one = Vector<float>.One;
        for (; j <= n - Vector<float>.Count; j += Vector<float>.Count)
        {
            var i = new Vector<float>(cache[j..]); var f = new Vector<float>(cache[(n + j)..]);
            var g = new Vector<float>(cache[(2 * n + j)..]); var o = new Vector<float>(cache[(3 * n + j)..]);
            var tanhC = new Vector<float>(cache[(4 * n + j)..]);
            var cPrevj = new Vector<float>(cPrev[j..]);
            var dhj = new Vector<float>(dh[j..]);
            var dOut = dhj * tanhC * o * (one - o);
            // c reaches the loss through h (via tanh), later steps (dc) and the output gate's peephole.
            var dcj = new Vector<float>(dc[j..]) + dhj * o * (one - tanhC * tanhC) + dOut * new Vector<float>(peepholes[(2 * n + j)..]);
            var dIn = dcj * g * i * (one - i);
            var dForget = dcj * cPrevj * f * (one - f);
            dIn.CopyTo(dPre[j..]);
            dForget.CopyTo(dPre[(n + j)..]);
            (dcj * i * (one - g * g)).CopyTo(dPre[(2 * n + j)..]);
            dOut.CopyTo(dPre[(3 * n + j)..]);
            (dcj * f + dIn * new Vector<float>(peepholes[j..]) + dForget * new Vector<float>(peepholes[(n + j)..])).CopyTo(dc[j..]);
        }
        for (; j < n; j++)
        {
            float i = cache[j], f = cache[n + j], g = cache[2 * n + j], o = cache[3 * n + j], tanhC = cache[4 * n + j];
            float dhj = dh[j];
            float dOut = dhj * tanhC * o * (1f - o);
            float dcj = dc[j] + dhj * o * (1f - tanhC * tanhC) + dOut * peepholes[2 * n + j];
            float dIn = dcj * g * i * (1f - i);
            float dForget = dcj * cPrev[j] * f * (1f - f);
            dPre[j] = dIn;
            dPre[n + j] = dForget;
            dPre[2 * n + j] = dcj * i * (1f - g * g);
            dPre[3 * n + j] = dOut;
            dc[j] = dcj * f + dIn * peepholes[j] + dForget * peepholes[n + j];
        }
        dhPrev[..n].Clear();
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
