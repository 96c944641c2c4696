namespace Carousel.Data.Tasks;

/// <summary>
/// The parity problem of Bengio, Simard &amp; Frasconi (1994) as Hochreiter &amp; Schmidhuber (1996) ran it: a sequence of
/// bits −1.0 and 1.0 (one input); class 1 (target 1.0) when the number of 1.0s is odd, class 0 (target 0.0) when even. The
/// bits are uniform except the first, which is set so that the sequence has the class the stream asks for (so classes
/// alternate and every sequence is uniform within its class).
/// </summary>
public sealed class ParityProblem : BinarySequenceProblem
{
    /// <summary>A parity generator.</summary>
    /// <param name="minLength">T, the minimal number of bits (the papers: 500); at least 1.</param>
    /// <param name="seed">Seed; the same seed gives the same sequences in the same order.</param>
    public ParityProblem(int minLength, int seed) : base(minLength, 1, seed) { }

    /// <inheritdoc/>
    public override int FeatureCount => 1;

    /// <summary>The class of a bit sequence: 1 when it holds an odd number of elements above zero, else 0.</summary>
    public static int ClassOf(ReadOnlySpan<float> bits)
    {
        int ones = 0;
        foreach (float bit in bits) if (bit > 0) ones++;
        return ones % 2;
    }

    /// <inheritdoc/>
    protected override void Fill(Span<float> inputs, int batch, int row, int length, int label, Random rng)
    {
        int ones = 0;
        for (int t = 1; t < length; t++)
        {
            bool one = rng.Next(2) == 1;
            inputs[At(t, batch, row, 0)] = one ? 1f : -1f;
            if (one) ones++;
        }
        inputs[At(0, batch, row, 0)] = (ones % 2 == label) ? -1f : 1f;
    }
}
