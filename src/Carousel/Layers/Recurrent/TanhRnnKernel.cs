using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

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
        int j = BackwardLanes<VectorLanes>(hidden, 0, h, dh, dPre);
        BackwardLanes<ScalarLane>(hidden, j, h, dh, dPre);   // the tail, if any
        dhPrev[..hidden].Clear();
    }

    // Lanes [start, n) of one row, T.Count at a time while whole ones fit; returns where it stopped. Inlined with all
    // of ILanes so that no call is left in the loop (see ILanes).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BackwardLanes<T>(int n, int start, ReadOnlySpan<float> h, ReadOnlySpan<float> dh, Span<float> dPre)
        where T : struct, ILanes<T>
    {
        int j = start;
        T one = T.One;   // hoisted by hand: the JIT would reload T.One at every use
        for (; j <= n - T.Count; j += T.Count)
        {
            T hj = T.Load(h, j);
            T.Store(T.Load(dh, j) * (one - hj * hj), dPre, j);   // tanh' = 1 − h²
        }
        return j;
    }
}
