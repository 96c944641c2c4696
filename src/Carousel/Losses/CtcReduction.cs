namespace Carousel.Losses;

/// <summary>How <see cref="CtcLoss"/> combines the losses of a batch, as PyTorch's nn.CTCLoss does.</summary>
public enum CtcReduction
{
    /// <summary>No combination: the per-sequence losses; the gradient is that of their sum.</summary>
    None,
    /// <summary>PyTorch's 'mean': the batch mean of loss / target length (a target length of 0 counts as 1).</summary>
    Mean,
    /// <summary>The sum over the batch.</summary>
    Sum,
}
