using System.Numerics.Tensors;

namespace Carousel.Layers.Recurrent;

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
