using System.Numerics.Tensors;

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
