using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Carousel.Layers.Recurrent;

/// <summary>LSTM: i,f,o = σ(·), g = tanh(·), c = f⊙cPrev + i⊙g, h = o⊙tanh(c). Cache: [i, f, g, o, tanh c].</summary>
internal sealed class LstmKernel : CellKernel
{
    public static readonly LstmKernel Instance = new();

    public override int CacheWidth(int hidden) => 5 * hidden;

    public override void ForwardRow(int hidden, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec,
        ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, Span<float> cache, Span<float> h, Span<float> c)
    {
        if (GateMath.IsAccelerated) FusedForwardRow(hidden, pre, rec, cPrev, cache, h, c);
        else PassesForwardRow(hidden, pre, rec, cPrev, cache, h, c);
    }

    // One pass: each GateMath.Width (16) units' four gates read from pre and rec, the state and h written, the gates cached for backward.
    // A tail of fewer than GateMath.Width units goes through the same arithmetic on copies padded to that width.
    private static void FusedForwardRow(int n, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec, ReadOnlySpan<float> cPrev,
        Span<float> cache, Span<float> h, Span<float> c)
    {
        const int W = GateMath.Width;
        int j = 0;
        for (; j <= n - W; j += W) FusedUnits(n, j, pre, rec, cPrev, cache, h, c);
        if (j == n) return;
        // tail: the last n − j units laid out as a row of W units (gate k of unit j + u at k·W + u)
        int tail = n - j;
        Span<float> padded = stackalloc float[4 * W + 4 * W + W + 5 * W + W + W];
        var tPre = padded[..(4 * W)]; var tRec = padded.Slice(4 * W, 4 * W); var tCPrev = padded.Slice(8 * W, W);
        var tCache = padded.Slice(9 * W, 5 * W); var tH = padded.Slice(14 * W, W); var tC = padded.Slice(15 * W, W);
        for (int k = 0; k < 4; k++)
        {
            pre.Slice(k * n + j, tail).CopyTo(tPre.Slice(k * W, tail));
            rec.Slice(k * n + j, tail).CopyTo(tRec.Slice(k * W, tail));
        }
        cPrev.Slice(j, tail).CopyTo(tCPrev);
        FusedUnits(W, 0, tPre, tRec, tCPrev, tCache, tH, tC);
        for (int k = 0; k < 5; k++) tCache.Slice(k * W, tail).CopyTo(cache.Slice(k * n + j, tail));
        tH[..tail].CopyTo(h[j..]);
        tC[..tail].CopyTo(c[j..]);
    }

    // Units [j, j + GateMath.Width) of a row of n units.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FusedUnits(int n, int j, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec, ReadOnlySpan<float> cPrev,
        Span<float> cache, Span<float> h, Span<float> c)
    {
        var i = GateMath.Sigmoid(GateMath.Load(pre, j) + GateMath.Load(rec, j));
        var f = GateMath.Sigmoid(GateMath.Load(pre, n + j) + GateMath.Load(rec, n + j));
        var g = GateMath.Tanh(GateMath.Load(pre, 2 * n + j) + GateMath.Load(rec, 2 * n + j));
        var o = GateMath.Sigmoid(GateMath.Load(pre, 3 * n + j) + GateMath.Load(rec, 3 * n + j));
        var cNext = Vector512.FusedMultiplyAdd(i, g, f * GateMath.Load(cPrev, j));
        var tanhC = GateMath.Tanh(cNext);
        i.CopyTo(cache[j..]);
        f.CopyTo(cache[(n + j)..]);
        g.CopyTo(cache[(2 * n + j)..]);
        o.CopyTo(cache[(3 * n + j)..]);
        tanhC.CopyTo(cache[(4 * n + j)..]);
        cNext.CopyTo(c[j..]);
        (o * tanhC).CopyTo(h[j..]);
    }

    // Without AVX-512: eight TensorPrimitives passes over the row.
    private static void PassesForwardRow(int n, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec, ReadOnlySpan<float> cPrev,
        Span<float> cache, Span<float> h, Span<float> c)
    {
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
