using System.Numerics.Tensors;

namespace Carousel.Layers.Recurrent;

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
