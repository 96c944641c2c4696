namespace Carousel.Data.Tasks;

/// <summary>
/// The 2-sequence problem of Bengio, Simard &amp; Frasconi (1994) as Hochreiter &amp; Schmidhuber (1996) ran it: one input;
/// only the first <see cref="RelevantSteps"/> elements tell the class (1.0 for class 1, −1.0 for class 0, not free
/// parameters); every later element is Gaussian noise of mean 0 and variance 0.2. Targets 0 and 1 at the end.
/// </summary>
public sealed class TwoSequenceProblem : BinarySequenceProblem
{
    /// <summary>N, the relevant leading elements used by default (3).</summary>
    public const int DefaultRelevantSteps = 3;

    /// <summary>A 2-sequence generator.</summary>
    /// <param name="minLength">T, the minimal length (the papers: 500); more than <paramref name="relevantSteps"/>.</param>
    /// <param name="seed">Seed; the same seed gives the same sequences in the same order.</param>
    /// <param name="relevantSteps">N, the leading elements that carry the class.</param>
    public TwoSequenceProblem(int minLength, int seed, int relevantSteps = DefaultRelevantSteps) : base(minLength, relevantSteps + 1, seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(relevantSteps, 1);
        RelevantSteps = relevantSteps;
    }

    /// <summary>N, the leading elements that carry the class.</summary>
    public int RelevantSteps { get; }

    /// <inheritdoc/>
    public override int FeatureCount => 1;

    /// <inheritdoc/>
    protected override void Fill(Span<float> inputs, int batch, int row, int length, int label, Random rng)
    {
        for (int t = 0; t < length; t++) inputs[At(t, batch, row, 0)] = t < RelevantSteps ? (label == 1 ? 1f : -1f) : Noise(rng);
    }
}
