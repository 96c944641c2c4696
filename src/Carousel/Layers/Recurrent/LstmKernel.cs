using System.Numerics;
using System.Numerics.Tensors;

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
        int n = hidden, j = 0;
        var one = Vector<float>.One;
        for (; j <= n - Vector<float>.Count; j += Vector<float>.Count)
        {
            var i = new Vector<float>(cache[j..]); var f = new Vector<float>(cache[(n + j)..]);
            var g = new Vector<float>(cache[(2 * n + j)..]); var o = new Vector<float>(cache[(3 * n + j)..]);
            var tanhC = new Vector<float>(cache[(4 * n + j)..]);
            var dhj = new Vector<float>(dh[j..]);
            var dcj = new Vector<float>(dc[j..]) + dhj * o * (one - tanhC * tanhC);
            (dcj * g * i * (one - i)).CopyTo(dPre[j..]);
            (dcj * new Vector<float>(cPrev[j..]) * f * (one - f)).CopyTo(dPre[(n + j)..]);
            (dcj * i * (one - g * g)).CopyTo(dPre[(2 * n + j)..]);
            (dhj * tanhC * o * (one - o)).CopyTo(dPre[(3 * n + j)..]);
            (dcj * f).CopyTo(dc[j..]);
        }
        for (; j < n; j++)
        {
            float i = cache[j], f = cache[n + j], g = cache[2 * n + j], o = cache[3 * n + j], tanhC = cache[4 * n + j];
            float dhj = dh[j];
            float dcj = dc[j] + dhj * o * (1f - tanhC * tanhC);
            dPre[j] = dcj * g * i * (1f - i);
            dPre[n + j] = dcj * cPrev[j] * f * (1f - f);
            dPre[2 * n + j] = dcj * i * (1f - g * g);
            dPre[3 * n + j] = dhj * tanhC * o * (1f - o);
            dc[j] = dcj * f;
        }
        dhPrev[..n].Clear();
    }
}
