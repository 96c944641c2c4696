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
        CellKind.RnnTanh or CellKind.Clockwork or CellKind.Timescales => TanhRnnKernel.Instance, // the clock is RecurrentDirection's
        CellKind.RnnRelu => ReluRnnKernel.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(cell)),
    };
}
