using System.Numerics;
using System.Numerics.Tensors;

namespace Carousel.Layers.Recurrent;

/// <summary>
/// The per-step arithmetic of one cell type for one batch row, forward and backward side by side.
/// The matrix products are done by the caller: <c>pre</c> is the input projection x·W_ihᵀ + b_ih and
/// <c>rec</c> the recurrent projection h·W_hhᵀ + b_hh, both [G·H] in PyTorch's gate order.
/// </summary>
internal abstract class CellKernel
{
    /// <summary>Floats per batch row that forward stores for backward (gate activations etc.).</summary>
    public abstract int CacheWidth(int hidden);

    /// <summary>True when the gradient of the recurrent projection differs from the input projection's (GRU).</summary>
    public virtual bool SeparateRecurrentGradient => false;

    /// <summary>One step for one row. Spans: pre, rec [G·H]; hPrev, cPrev, h, c [H]; peepholes [P·H]; cache [CacheWidth].
    /// cPrev and c are empty for cells without a memory cell, peepholes for cells without cell-to-gate weights.</summary>
    public abstract void ForwardRow(int hidden, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec,
        ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, Span<float> cache, Span<float> h, Span<float> c);

    /// <summary>
    /// Backward of <see cref="ForwardRow"/>. dh [H] is the total gradient reaching h of this step;
    /// dc [H] holds the gradient reaching c from later steps and is replaced by the gradient for cPrev.
    /// Writes dPre [G·H] (gradient of the input projection), dRec [G·H] (of the recurrent projection,
    /// only when <see cref="SeparateRecurrentGradient"/>) and dhPrev [H], the part of dL/dhPrev that does
    /// not go through W_hh (the caller adds dRec·W_hh).
    /// </summary>
    public abstract void BackwardRow(int hidden, ReadOnlySpan<float> cache, ReadOnlySpan<float> hPrev,
        ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> dc,
        Span<float> dPre, Span<float> dRec, Span<float> dhPrev);

    /// <summary>
    /// Adds this row's part of the peephole gradients into dPeepholes [P·H], for cells that have them. dPre [G·H] is
    /// the row's gate gradient written by <see cref="BackwardRow"/>, cPrev and c [H] the cells entering and leaving the step.
    /// Kept out of <see cref="BackwardRow"/> so that the batch parts running on separate threads never write the same sum.
    /// </summary>
    public virtual void AddPeepholeGradients(int hidden, ReadOnlySpan<float> dPre, ReadOnlySpan<float> cPrev,
        ReadOnlySpan<float> c, Span<float> dPeepholes)
    {
    }

    public static CellKernel For(CellKind cell) => cell switch
    {
        CellKind.Lstm => LstmKernel.Instance,
        CellKind.LstmNoForgetGate => LstmNoForgetGateKernel.Instance,
        CellKind.LstmPeephole => LstmPeepholeKernel.Instance,
        CellKind.Gru => GruKernel.Instance,
        CellKind.RnnTanh => TanhRnnKernel.Instance,
        CellKind.RnnRelu => ReluRnnKernel.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(cell)),
    };
}

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

/// <summary>GRU: r,z = σ(·), n = tanh(pre_n + r⊙rec_n), h = (1−z)⊙n + z⊙hPrev. Cache: [r, z, n, rec_n].</summary>
internal sealed class GruKernel : CellKernel
{
    public static readonly GruKernel Instance = new();

    public override int CacheWidth(int hidden) => 4 * hidden;

    public override bool SeparateRecurrentGradient => true;

    public override void ForwardRow(int hidden, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec,
        ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, Span<float> cache, Span<float> h, Span<float> c)
    {
        int n = hidden;
        var rz = cache[..(2 * n)];
        TensorPrimitives.Add(pre[..(2 * n)], rec[..(2 * n)], rz);
        TensorPrimitives.Sigmoid(rz, rz);
        var r = cache[..n]; var z = cache.Slice(n, n); var candidate = cache.Slice(2 * n, n); var recN = cache.Slice(3 * n, n);
        rec.Slice(2 * n, n).CopyTo(recN);
        TensorPrimitives.FusedMultiplyAdd(r, recN, pre.Slice(2 * n, n), candidate);
        TensorPrimitives.Tanh(candidate, candidate);
        // h = n + z ⊙ (hPrev − n)
        TensorPrimitives.Subtract(hPrev, candidate, h);
        TensorPrimitives.FusedMultiplyAdd(z, h, candidate, h);
    }

    public override void BackwardRow(int hidden, ReadOnlySpan<float> cache, ReadOnlySpan<float> hPrev,
        ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> dc,
        Span<float> dPre, Span<float> dRec, Span<float> dhPrev)
    {
        int n = hidden;
        for (int j = 0; j < n; j++)
        {
            float r = cache[j], z = cache[n + j], cand = cache[2 * n + j], recN = cache[3 * n + j];
            float dhj = dh[j];
            float dCandidatePre = dhj * (1f - z) * (1f - cand * cand);
            float dr = dCandidatePre * recN * r * (1f - r);
            float dz = dhj * (hPrev[j] - cand) * z * (1f - z);
            dPre[j] = dr; dRec[j] = dr;
            dPre[n + j] = dz; dRec[n + j] = dz;
            dPre[2 * n + j] = dCandidatePre;
            dRec[2 * n + j] = dCandidatePre * r;
            dhPrev[j] = dhj * z;
        }
    }
}

/// <summary>Elman RNN with tanh: h = tanh(pre + rec). Nothing cached: backward uses h itself.</summary>
internal sealed class TanhRnnKernel : CellKernel
{
    public static readonly TanhRnnKernel Instance = new();

    public override int CacheWidth(int hidden) => 0;

    public override void ForwardRow(int hidden, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec,
        ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, Span<float> cache, Span<float> h, Span<float> c)
    {
        TensorPrimitives.Add(pre, rec, h);
        TensorPrimitives.Tanh(h, h);
    }

    public override void BackwardRow(int hidden, ReadOnlySpan<float> cache, ReadOnlySpan<float> hPrev,
        ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> dc,
        Span<float> dPre, Span<float> dRec, Span<float> dhPrev)
    {
        for (int j = 0; j < hidden; j++)
        {
            dPre[j] = dh[j] * (1f - h[j] * h[j]);
            dhPrev[j] = 0f;
        }
    }
}

/// <summary>Elman RNN with ReLU: h = max(0, pre + rec); the derivative at 0 is taken as 0, as PyTorch does.</summary>
internal sealed class ReluRnnKernel : CellKernel
{
    public static readonly ReluRnnKernel Instance = new();

    public override int CacheWidth(int hidden) => 0;

    public override void ForwardRow(int hidden, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec,
        ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, Span<float> cache, Span<float> h, Span<float> c)
    {
        TensorPrimitives.Add(pre, rec, h);
        TensorPrimitives.Max(h, 0f, h);
    }

    public override void BackwardRow(int hidden, ReadOnlySpan<float> cache, ReadOnlySpan<float> hPrev,
        ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> dc,
        Span<float> dPre, Span<float> dRec, Span<float> dhPrev)
    {
        for (int j = 0; j < hidden; j++)
        {
            dPre[j] = h[j] > 0f ? dh[j] : 0f;
            dhPrev[j] = 0f;
        }
    }
}
