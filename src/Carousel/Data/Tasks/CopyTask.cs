using Carousel.Tensors;

namespace Carousel.Data.Tasks;

/// <summary>
/// The copy (memory) task: read K random symbols, wait through a delay of D blanks, see a "go" marker, then
/// emit the K symbols in order. With A symbols, inputs are one-hot over A + 2 features (0 .. A−1 the symbols,
/// <see cref="Blank"/> = A, <see cref="Go"/> = A + 1) and every sequence has T = 2K + D + 1 steps:
/// <code>
///   step      0 .. K−1      K .. K+D−1    K+D     K+D+1 .. 2K+D
///   input     s_0 .. s_K−1  blank         go      blank
///   target    −1            −1            −1      s_0 .. s_K−1
/// </code>
/// Targets are classes 0 .. A−1 at the K answer steps and <see cref="StepClassificationBatch.Ignore"/> (−1)
/// everywhere else, so a softmax over A classes with a masked cross-entropy fits. Symbols are drawn uniformly
/// and independently.
/// </summary>
public sealed class CopyTask
{
    private readonly Random _rng;

    /// <summary>A, the number of symbols to copy from (and output classes).</summary>
    public int AlphabetSize { get; }

    /// <summary>K, the number of symbols to remember.</summary>
    public int Length { get; }

    /// <summary>D, the number of blanks between the last symbol and the go marker.</summary>
    public int Delay { get; }

    /// <summary>Input feature of the blank symbol (A).</summary>
    public int Blank => AlphabetSize;

    /// <summary>Input feature of the go marker (A + 1).</summary>
    public int Go => AlphabetSize + 1;

    /// <summary>The number of one-hot input features, A + 2.</summary>
    public int InputSize => AlphabetSize + 2;

    /// <summary>The number of output classes, A.</summary>
    public int ClassCount => AlphabetSize;

    /// <summary>T, the number of steps of every sequence: 2K + D + 1.</summary>
    public int Steps => 2 * Length + Delay + 1;

    /// <summary>The first answer step, K + D + 1 (the step after the go marker).</summary>
    public int AnswerStart => Length + Delay + 1;

    /// <summary>A copy task over <paramref name="alphabetSize"/> symbols, <paramref name="length"/> to copy after <paramref name="delay"/> blanks.</summary>
    /// <param name="alphabetSize">A ≥ 1 symbols.</param>
    /// <param name="length">K ≥ 1 symbols to copy.</param>
    /// <param name="delay">D ≥ 0 blank steps before the go marker.</param>
    /// <param name="seed">Seed; the same seed gives the same batches in the same order.</param>
    public CopyTask(int alphabetSize, int length, int delay, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(alphabetSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(delay);
        AlphabetSize = alphabetSize;
        Length = length;
        Delay = delay;
        _rng = new Random(seed);
    }

    /// <summary>
    /// The next <paramref name="batchSize"/> sequences: inputs [T, B, A + 2] one-hot, targets [T, B] (index t * B + b)
    /// with the copied symbols at steps K + D + 1 .. 2K + D and −1 elsewhere, lengths [B] all T.
    /// </summary>
    public StepClassificationBatch NextBatch(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int steps = Steps, features = InputSize;
        var inputs = new float[steps * batchSize * features]; // [T, B, A + 2]
        var targets = new int[steps * batchSize];             // [T, B]
        Array.Fill(targets, StepClassificationBatch.Ignore);
        for (int b = 0; b < batchSize; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                int feature = Blank;
                if (t < Length)
                {
                    feature = _rng.Next(AlphabetSize);
                    targets[(AnswerStart + t) * batchSize + b] = feature;
                }
                else if (t == Length + Delay)
                {
                    feature = Go;
                }
                inputs[(t * batchSize + b) * features + feature] = 1f;
            }
        }
        var lengths = new int[batchSize];
        Array.Fill(lengths, steps);
        return new StepClassificationBatch(new Tensor(inputs, steps, batchSize, features), targets, lengths);
    }

    /// <summary>
    /// Whether row <paramref name="row"/> is copied exactly: at every scored step the largest output is the
    /// target class.
    /// </summary>
    /// <param name="batch">The batch the outputs were computed for.</param>
    /// <param name="outputs">[T, B, A] per-step scores (logits or probabilities).</param>
    /// <param name="row">The batch row b to check.</param>
    public static bool RowCorrect(StepClassificationBatch batch, ReadOnlySpan<float> outputs, int row)
    {
        int batchSize = batch.BatchSize, steps = batch.Steps;
        if (outputs.Length % (steps * batchSize) != 0)
            throw new ArgumentException($"Outputs must have shape [{steps}, {batchSize}, classes].");
        int classes = outputs.Length / (steps * batchSize);
        for (int t = 0; t < batch.Lengths[row]; t++)
        {
            int target = batch.Targets[t * batchSize + row];
            if (target == StepClassificationBatch.Ignore) continue;
            var scores = outputs.Slice((t * batchSize + row) * classes, classes);
            int best = 0;
            for (int k = 1; k < classes; k++)
                if (scores[k] > scores[best]) best = k;
            if (best != target) return false;
        }
        return true;
    }
}
