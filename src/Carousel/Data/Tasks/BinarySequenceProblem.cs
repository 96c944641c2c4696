using Carousel.Tensors;

namespace Carousel.Data.Tasks;

/// <summary>
/// What the two-class benchmarks of Bengio, Simard &amp; Frasconi (1994) share as Hochreiter &amp; Schmidhuber (1996) and
/// Schmidhuber, Hochreiter &amp; Bengio (2001) ran them: sequences of one of two classes (label 0 or 1), lengths uniform in
/// [T, T + T/5] (T/5 rounded down; the guessing papers' 500..600 for T = 500), the class due at the last step. Labels
/// alternate 0, 1, 0, 1… along the stream, so any even number of consecutive sequences holds as many of each class (the
/// papers' training sets of 50 + 50). Inputs are [T, B, F], zero after each sequence's end.
/// </summary>
public abstract class BinarySequenceProblem
{
    /// <summary>The papers' "variance 0.2" of the Gaussian noise: its standard deviation is √0.2.</summary>
    public const double NoiseVariance = 0.2;

    private readonly Random _rng;
    private long _drawn; // sequences drawn so far: the next one's label is _drawn % 2

    /// <summary>A generator of sequences at least <paramref name="minLength"/> steps long.</summary>
    /// <param name="minLength">T, the minimal length (lengths are uniform in [T, T + T/5]).</param>
    /// <param name="smallestMinLength">The smallest T the problem accepts.</param>
    /// <param name="seed">Seed; the same seed gives the same sequences in the same order.</param>
    protected BinarySequenceProblem(int minLength, int smallestMinLength, int seed)
    {
        if (minLength < smallestMinLength)
            throw new ArgumentOutOfRangeException(nameof(minLength), minLength, $"The minimal length T must be at least {smallestMinLength}.");
        MinLength = minLength;
        MaxLength = minLength + minLength / 5;
        _rng = new Random(seed);
    }

    /// <summary>T, the shortest sequence.</summary>
    public int MinLength { get; }

    /// <summary>T + T/5, the longest sequence.</summary>
    public int MaxLength { get; }

    /// <summary>F, the input features per step.</summary>
    public abstract int FeatureCount { get; }

    /// <summary>
    /// Writes sequence <paramref name="row"/> of class <paramref name="label"/> and <paramref name="length"/> steps into
    /// <paramref name="inputs"/> [T, B, F] (all zero before the call).
    /// </summary>
    protected abstract void Fill(Span<float> inputs, int batch, int row, int length, int label, Random rng);

    /// <summary>
    /// The next <paramref name="batchSize"/> sequences: inputs [T, B, F] (zero after each sequence's end), labels [B]
    /// (due at step Lengths[b] − 1), lengths [B]; T = the longest in the batch.
    /// </summary>
    public SequenceClassificationBatch NextBatch(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var lengths = new int[batchSize];
        var labels = new int[batchSize];
        for (int b = 0; b < batchSize; b++)
        {
            lengths[b] = MinLength + _rng.Next(MaxLength - MinLength + 1);
            labels[b] = (int)(_drawn++ % 2);
        }
        int steps = lengths.Max();
        var inputs = new float[steps * batchSize * FeatureCount]; // [T, B, F]
        for (int b = 0; b < batchSize; b++) Fill(inputs, batchSize, b, lengths[b], labels[b], _rng);
        return new SequenceClassificationBatch(new Tensor(inputs, steps, batchSize, FeatureCount), labels, lengths);
    }

    /// <summary>A draw from the Gaussian of mean 0 and variance <see cref="NoiseVariance"/> (Box–Muller).</summary>
    protected static float Noise(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return (float)(Math.Sqrt(NoiseVariance) * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>The index of feature <paramref name="feature"/> of step <paramref name="t"/>, row <paramref name="row"/> in [T, B, F].</summary>
    protected int At(int t, int batch, int row, int feature) => (t * batch + row) * FeatureCount + feature;
}
