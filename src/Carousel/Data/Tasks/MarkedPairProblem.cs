using Carousel.Tensors;

namespace Carousel.Data.Tasks;

/// <summary>
/// The input distribution shared by the adding problem and the multiplication problem (Hochreiter &amp;
/// Schmidhuber 1997, Experiments 4 and 5). Each step carries a pair:
/// <list type="bullet">
/// <item>feature 0, a value drawn uniformly from [<see cref="ValueMin"/>, <see cref="ValueMax"/>);</item>
/// <item>feature 1, a marker: 1.0 at exactly two marked steps, −1.0 at the first and the last step unless marked,
/// 0.0 elsewhere.</item>
/// </list>
/// Marking follows the paper word for word: first one of the first ten pairs (index 0..9) is marked, its value is
/// X1; then one of the first T/2 − 1 <em>still unmarked</em> pairs is marked, its value is X2 (T = the minimal
/// length, T/2 rounded down; so X2's index lies in 0..T/2 − 1 and differs from X1's). If the very first pair
/// (index 0) is marked (by either mark), its marker is 1.0 (not −1) and its value is overwritten with
/// <see cref="FirstPairValue"/> — the paper's "we set X1 to zero" (adding) or "to 1.0" (multiplication) — so
/// the target can always be recomputed from the inputs alone (the neutral element of the sum or product, so
/// it does not matter which of the two marks landed there).
/// The length of each sequence is drawn uniformly from [T, T + T/10] (T/10 rounded down) as in the paper, or is
/// exactly T when <c>variableLength</c> is false. The only error signal is at the last step; a sequence is
/// processed correctly when |output − target| &lt; <see cref="Tolerance"/> (0.04, both experiments).
/// </summary>
public abstract class MarkedPairProblem
{
    /// <summary>The paper's success criterion: absolute error at the sequence end below 0.04.</summary>
    public const float Tolerance = 0.04f;

    /// <summary>Two inputs per step: value, marker.</summary>
    public const int FeatureCount = 2;

    /// <summary>The smallest minimal length: the ten candidates for X1 must lie inside the first T/2 − 1 pairs.</summary>
    public const int SmallestMinLength = 22;

    private readonly Random _rng;

    /// <summary>T, the minimal sequence length.</summary>
    public int MinLength { get; }

    /// <summary>T + T/10 when lengths vary, else T.</summary>
    public int MaxLength { get; }

    /// <summary>Number of leading pairs that may hold X1 (ten).</summary>
    public int FirstMarkCandidates => 10;

    /// <summary>Number of still-unmarked leading pairs that may hold X2 (T/2 − 1).</summary>
    public int SecondMarkCandidates => MinLength / 2 - 1;

    /// <summary>The lower end of the range values are drawn from (inclusive).</summary>
    protected abstract float ValueMin { get; }

    /// <summary>The upper end of the range values are drawn from (exclusive).</summary>
    protected abstract float ValueMax { get; }

    /// <summary>The value given to X1 when the first pair is marked.</summary>
    protected abstract float FirstPairValue { get; }

    /// <summary>A generator of sequences of minimal length <paramref name="minLength"/> (at least <see cref="SmallestMinLength"/>).</summary>
    /// <param name="minLength">T, the minimal length.</param>
    /// <param name="variableLength">Lengths uniform in [T, T + T/10] as in the paper; false for exactly T.</param>
    /// <param name="seed">Seed; the same seed gives the same batches in the same order.</param>
    protected MarkedPairProblem(int minLength, bool variableLength, int seed)
    {
        if (minLength < SmallestMinLength)
            throw new ArgumentOutOfRangeException(nameof(minLength), minLength, $"The minimal length T must be at least {SmallestMinLength} (the paper uses 100, 500, 1000).");
        MinLength = minLength;
        MaxLength = variableLength ? minLength + minLength / 10 : minLength;
        _rng = new Random(seed);
    }

    /// <summary>The target due at the sequence end for marked values X1, X2.</summary>
    public abstract float Target(float x1, float x2);

    /// <summary>The paper's criterion: |output − target| &lt; 0.04.</summary>
    public static bool IsCorrect(float output, float target) => MathF.Abs(output - target) < Tolerance;

    /// <summary>
    /// The next <paramref name="batchSize"/> sequences: inputs [T, B, 2] (value, marker; zero after each
    /// sequence's end), targets [B] (due at step Lengths[b] − 1), lengths [B]; T = the longest in the batch.
    /// </summary>
    public SequenceRegressionBatch NextBatch(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var lengths = new int[batchSize];
        var values = new float[batchSize][];
        var markers = new float[batchSize][];
        var targets = new float[batchSize];
        for (int b = 0; b < batchSize; b++)
        {
            (values[b], markers[b], targets[b]) = NextSequence();
            lengths[b] = values[b].Length;
        }
        int steps = lengths.Max();
        var inputs = new float[steps * batchSize * FeatureCount]; // [T, B, 2]
        for (int b = 0; b < batchSize; b++)
        {
            for (int t = 0; t < lengths[b]; t++)
            {
                int i = (t * batchSize + b) * FeatureCount;
                inputs[i] = values[b][t];
                inputs[i + 1] = markers[b][t];
            }
        }
        return new SequenceRegressionBatch(new Tensor(inputs, steps, batchSize, FeatureCount), new Tensor(targets, batchSize), lengths);
    }

    /// <summary>One sequence: values [L], markers [L] and the target.</summary>
    private (float[] Values, float[] Markers, float Target) NextSequence()
    {
        int length = MinLength + _rng.Next(MaxLength - MinLength + 1);
        var values = new float[length];
        var markers = new float[length];
        float span = ValueMax - ValueMin;
        for (int t = 0; t < length; t++) values[t] = ValueMin + span * _rng.NextSingle();

        int first = _rng.Next(FirstMarkCandidates);
        // The k-th still-unmarked pair among the leading ones: skip over the first mark.
        int k = _rng.Next(SecondMarkCandidates);
        int second = k < first ? k : k + 1;

        markers[0] = -1f;
        markers[length - 1] = -1f;
        markers[first] = 1f;
        markers[second] = 1f;
        if (first == 0 || second == 0) values[0] = FirstPairValue;
        // X1 is the value of the pair marked first, X2 of the pair marked second.
        return (values, markers, Target(values[first], values[second]));
    }
}
