using System.Numerics;
using System.Numerics.Tensors;

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
        int n = hidden, j = 0;
        var one = Vector<float>.One;
        for (; j <= n - Vector<float>.Count; j += Vector<float>.Count)
        {
            var i = new Vector<float>(cache[j..]); var g = new Vector<float>(cache[(n + j)..]);
            var o = new Vector<float>(cache[(2 * n + j)..]); var tanhC = new Vector<float>(cache[(3 * n + j)..]);
            var dhj = new Vector<float>(dh[j..]);
            var dcj = new Vector<float>(dc[j..]) + dhj * o * (one - tanhC * tanhC);
            (dcj * g * i * (one - i)).CopyTo(dPre[j..]);
            (dcj * i * (one - g * g)).CopyTo(dPre[(n + j)..]);
            (dhj * tanhC * o * (one - o)).CopyTo(dPre[(2 * n + j)..]);
            dcj.CopyTo(dc[j..]);   // the constant error carousel: dc/dcPrev = 1
        }
        for (; j < n; j++)
        {
            float i = cache[j], g = cache[n + j], o = cache[2 * n + j], tanhC = cache[3 * n + j];
            float dhj = dh[j];
            float dcj = dc[j] + dhj * o * (1f - tanhC * tanhC);
            dPre[j] = dcj * g * i * (1f - i);
            dPre[n + j] = dcj * i * (1f - g * g);
            dPre[2 * n + j] = dhj * tanhC * o * (1f - o);
            dc[j] = dcj;
        }
        dhPrev[..n].Clear();
    }
}
