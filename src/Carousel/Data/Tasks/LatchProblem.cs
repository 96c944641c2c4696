namespace Carousel.Data.Tasks;

/// <summary>
/// The latch problem of Bengio, Simard &amp; Frasconi (1994) in the two variants of Hochreiter &amp; Schmidhuber (1996) and
/// Schmidhuber, Hochreiter &amp; Bengio (2001): the class is given by the first element alone; every later element is
/// Gaussian noise of mean 0 and variance 0.2 (<see cref="BinarySequenceProblem.NoiseVariance"/>), so a net must latch one bit
/// across 500+ noisy steps.
/// <list type="bullet">
/// <item>Variant I: the first input values are free parameters of the learner, one per class. Here the first step carries
/// a one-hot class indicator (features 1 and 2) and the noise channel (feature 0) is zero; the weights from the indicators are
/// those free first values. The papers' targets are −0.8 and +0.8.</item>
/// <item>Variant II: one input, 1.0 at the first step for class 1 and −1.0 for class 0 (not free); targets −1.0 and +1.0.</item>
/// </list>
/// </summary>
public sealed class LatchProblem : BinarySequenceProblem
{
    /// <summary>A latch generator.</summary>
    /// <param name="variant">1 or 2.</param>
    /// <param name="minLength">T, the minimal length (the papers: 500); at least 2.</param>
    /// <param name="seed">Seed; the same seed gives the same sequences in the same order.</param>
    public LatchProblem(int variant, int minLength, int seed) : base(minLength, 2, seed)
    {
        if (variant is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(variant), variant, "The latch problem has variants 1 and 2.");
        Variant = variant;
    }

    /// <summary>1 (free first inputs) or 2 (first input ±1).</summary>
    public int Variant { get; }

    /// <inheritdoc/>
    public override int FeatureCount => Variant == 1 ? 3 : 1;

    /// <inheritdoc/>
    protected override void Fill(Span<float> inputs, int batch, int row, int length, int label, Random rng)
    {
        if (Variant == 1) inputs[At(0, batch, row, 1 + label)] = 1f;
        else inputs[At(0, batch, row, 0)] = label == 1 ? 1f : -1f;
        for (int t = 1; t < length; t++) inputs[At(t, batch, row, 0)] = Noise(rng);
    }
}
