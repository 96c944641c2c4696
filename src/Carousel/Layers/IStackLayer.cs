using Carousel.Tensors;

namespace Carousel.Layers;

/// <summary>
/// One layer and direction of a recurrent stack as the stack drives it: a recurrent direction, or a time-delay layer
/// that takes its place. Both read x [T, B, In] and write their h_t into columns [outOffset, outOffset + H) of
/// y [T, B, outStride], zero after each sequence's end; both add their gradients, never overwrite them.
/// </summary>
internal interface IStackLayer
{
    /// <summary>Its parameters in state-dict order.</summary>
    IEnumerable<Parameter> Parameters();

    /// <summary>
    /// Forward over x [T, B, In] (or <paramref name="ids"/> [T·B]: one-hot, or rows of <paramref name="tokenEmbedding"/> [V, In],
    /// whose gradient backward then adds), keeping what backward needs; writes y and the final states [B, H].
    /// </summary>
    void Forward(ReadOnlyMemory<float> x, int[]? ids, int steps, int batch, int[]? lengths, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        float[] y, int outStride, int outOffset, Span<float> hFinal, Span<float> cFinal, Parameter? tokenEmbedding = null);

    /// <summary>
    /// The same outputs as <see cref="Forward"/> for inference; backward cannot follow it. With <paramref name="useTokenTable"/>
    /// the ids are read through the table <see cref="BuildTokenTable"/> made (embedded tokens), else as one-hot vectors.
    /// </summary>
    void Infer(ReadOnlyMemory<float> x, int[]? ids, int steps, int batch, int[]? lengths, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        float[] y, int outStride, int outOffset, Span<float> hFinal, Span<float> cFinal, bool useTokenTable = false);

    /// <summary>Prepares <see cref="Infer"/> with useTokenTable for tokens embedded by <paramref name="embedding"/> [V, In].</summary>
    float[] BuildTokenTable(ReadOnlySpan<float> embedding, int vocabulary);

    /// <summary>Backward of the last <see cref="Forward"/>: adds into dx [T, B, In] and the parameters' Grad; writes dh0, dc0 [B, H].</summary>
    void Backward(float[] dy, int outStride, int outOffset, ReadOnlySpan<float> dhFinal, ReadOnlySpan<float> dcFinal,
        Span<float> dx, Span<float> dh0, Span<float> dc0, Memory<float> stateGradientNorms = default);

    /// <summary>h, c [B, H] ← the state after the first <paramref name="steps"/> steps of the last forward.</summary>
    void CopyStateAfter(int steps, Span<float> h, Span<float> c);
}
