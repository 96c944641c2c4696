using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Carousel.Layers.Recurrent;

/// <summary>GRU: r,z = σ(·), n = tanh(pre_n + r⊙rec_n), h = (1−z)⊙n + z⊙hPrev. Cache: [r, z, n, rec_n].</summary>
internal sealed class GruKernel : CellKernel
{
    public static readonly GruKernel Instance = new();

    public override int CacheWidth(int hidden) => 4 * hidden;

    public override bool SeparateRecurrentGradient => true;

    public override void ForwardRow(int hidden, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec,
        ReadOnlySpan<float> hPrev, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> peepholes, Span<float> cache, Span<float> h, Span<float> c)
    {
        if (GateMath.IsAccelerated) FusedForwardRow(hidden, pre, rec, hPrev, cache, h);
        else PassesForwardRow(hidden, pre, rec, hPrev, cache, h);
    }

    // One pass: each GateMath.Width (16) units' three gates read from pre and rec, h written, [r, z, n, rec_n] cached for backward.
    // A tail of fewer than GateMath.Width units goes through the same arithmetic on copies padded to that width.
    private static void FusedForwardRow(int n, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec, ReadOnlySpan<float> hPrev,
        Span<float> cache, Span<float> h)
    {
        const int W = GateMath.Width;
        int j = 0;
        for (; j <= n - W; j += W) FusedUnits(n, j, pre, rec, hPrev, cache, h);
        if (j == n) return;
        // tail: the last n − j units laid out as a row of W units (gate k of unit j + u at k·W + u)
        int tail = n - j;
        Span<float> padded = stackalloc float[3 * W + 3 * W + W + 4 * W + W];
        var tPre = padded[..(3 * W)]; var tRec = padded.Slice(3 * W, 3 * W); var tHPrev = padded.Slice(6 * W, W);
        var tCache = padded.Slice(7 * W, 4 * W); var tH = padded.Slice(11 * W, W);
        for (int k = 0; k < 3; k++)
        {
            pre.Slice(k * n + j, tail).CopyTo(tPre.Slice(k * W, tail));
            rec.Slice(k * n + j, tail).CopyTo(tRec.Slice(k * W, tail));
        }
        hPrev.Slice(j, tail).CopyTo(tHPrev);
        FusedUnits(W, 0, tPre, tRec, tHPrev, tCache, tH);
        for (int k = 0; k < 4; k++) tCache.Slice(k * W, tail).CopyTo(cache.Slice(k * n + j, tail));
        tH[..tail].CopyTo(h[j..]);
    }

    // Units [j, j + GateMath.Width) of a row of n units.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FusedUnits(int n, int j, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec, ReadOnlySpan<float> hPrev,
        Span<float> cache, Span<float> h)
    {
        var r = GateMath.Sigmoid(GateMath.Load(pre, j) + GateMath.Load(rec, j));
        var z = GateMath.Sigmoid(GateMath.Load(pre, n + j) + GateMath.Load(rec, n + j));
        var recN = GateMath.Load(rec, 2 * n + j);
        var candidate = GateMath.Tanh(Vector512.FusedMultiplyAdd(r, recN, GateMath.Load(pre, 2 * n + j)));
        r.CopyTo(cache[j..]);
        z.CopyTo(cache[(n + j)..]);
        candidate.CopyTo(cache[(2 * n + j)..]);
        recN.CopyTo(cache[(3 * n + j)..]);
        // h = n + z ⊙ (hPrev − n)
        Vector512.FusedMultiplyAdd(z, GateMath.Load(hPrev, j) - candidate, candidate).CopyTo(h[j..]);
    }

    // Without AVX-512: TensorPrimitives passes over the row.
    private static void PassesForwardRow(int n, ReadOnlySpan<float> pre, ReadOnlySpan<float> rec, ReadOnlySpan<float> hPrev,
        Span<float> cache, Span<float> h)
    {
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
        int j = BackwardLanes<VectorLanes>(hidden, 0, cache, hPrev, dh, dPre, dRec, dhPrev);
        BackwardLanes<ScalarLane>(hidden, j, cache, hPrev, dh, dPre, dRec, dhPrev);   // the tail, if any
    }

    // Lanes [start, n) of one row, T.Count at a time while whole ones fit; returns where it stopped. Inlined with all
    // of ILanes so that no call is left in the loop (see ILanes).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BackwardLanes<T>(int n, int start, ReadOnlySpan<float> cache, ReadOnlySpan<float> hPrev,
        ReadOnlySpan<float> dh, Span<float> dPre, Span<float> dRec, Span<float> dhPrev) where T : struct, ILanes<T>
    {
        int j = start;
        T one = T.One;   // hoisted by hand: the JIT would reload T.One at every use
        for (; j <= n - T.Count; j += T.Count)
        {
            T r = T.Load(cache, j), z = T.Load(cache, n + j), cand = T.Load(cache, 2 * n + j), recN = T.Load(cache, 3 * n + j);
            T dhj = T.Load(dh, j);
            T dCandidatePre = dhj * (one - z) * (one - cand * cand);
            T dr = dCandidatePre * recN * r * (one - r);
            T dz = dhj * (T.Load(hPrev, j) - cand) * z * (one - z);
            T.Store(dr, dPre, j); T.Store(dr, dRec, j);
            T.Store(dz, dPre, n + j); T.Store(dz, dRec, n + j);
            T.Store(dCandidatePre, dPre, 2 * n + j);
            T.Store(dCandidatePre * r, dRec, 2 * n + j);
            T.Store(dhj * z, dhPrev, j);
        }
        return j;
    }
}
