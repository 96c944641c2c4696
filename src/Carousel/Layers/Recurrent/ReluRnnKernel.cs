using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

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
        for (; j <= n - T.Count; j += T.Count)
        {
            T.Store(T.WherePositive(T.Load(h, j), T.Load(dh, j)), dPre, j);   // relu' = 1 where h > 0, else 0
        }
        return j;
    }
}
