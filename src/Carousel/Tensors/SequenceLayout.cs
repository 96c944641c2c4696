namespace Carousel.Tensors;

/// <summary>
/// Conversions at the API edge between batch-first [B, T, F] (PyTorch's batch_first=True) and the
/// time-major [T, B, F] layout used inside, where each step's batch is one contiguous block.
/// </summary>
public static class SequenceLayout
{
    /// <summary>A time-major copy [T, B, F] of a batch-first sequence tensor [B, T, F].</summary>
    public static Tensor BatchFirstToTimeMajor(Tensor batchFirst) => SwapLeadingAxes(batchFirst);

    /// <summary>A batch-first copy [B, T, F] of a time-major sequence tensor [T, B, F].</summary>
    public static Tensor TimeMajorToBatchFirst(Tensor timeMajor) => SwapLeadingAxes(timeMajor);

    private static Tensor SwapLeadingAxes(Tensor x)
    {
        if (x.Rank != 3) throw new ArgumentException($"Expected a sequence tensor of rank 3, got {x}.");
        int a = x.Dim(0), b = x.Dim(1), f = x.Dim(2);
        var result = new Tensor(b, a, f);
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                x.Data.AsSpan((i * b + j) * f, f).CopyTo(result.Data.AsSpan((j * a + i) * f, f));
        return result;
    }
}
