using Carousel.Tensors;

namespace Carousel.Data.Tasks;

/// <summary>One temporal-order sequence: its symbols, its class and where its relevant symbols are.</summary>
/// <param name="Symbols">The sequence as characters of <see cref="TemporalOrder.Alphabet"/>, e.g. "EabXd…Ycb…B".</param>
/// <param name="Label">Its class, 0 .. 2^k − 1.</param>
/// <param name="Positions">[k] the 0-based indices of the relevant X/Y symbols (paper position − 1).</param>
public sealed record TemporalOrderSequence(string Symbols, int Label, int[] Positions);

/// <summary>
/// The temporal order problem (Hochreiter &amp; Schmidhuber 1997, Experiment 6). A sequence starts with E,
/// ends with the trigger symbol B and is otherwise made of distractors drawn uniformly from {a, b, c, d}, except
/// at k widely separated positions that hold X or Y (each with probability 1/2). The class is the temporal order
/// of the Xs and Ys, read as a binary number with X = 0, Y = 1 and the first relevant symbol most significant:
/// <list type="bullet">
/// <item>Task 6a (k = 2): length uniform in 100..110, t1 in 10..20, t2 in 50..60;
/// X,X → Q (0), X,Y → R (1), Y,X → S (2), Y,Y → U (3).</item>
/// <item>Task 6b (k = 3): length uniform in 100..110, t1 in 10..20, t2 in 33..43, t3 in 66..76;
/// XXX → Q (0), XXY → R (1), XYX → S (2), XYY → U (3), YXX → V (4), YXY → A (5), YYX → B (6), YYY → C (7).</item>
/// </list>
/// Positions are counted from 1 as in the paper (E is position 1, B is position L), so position t is step
/// index t − 1. Inputs are one-hot over the 8 symbols of <see cref="Alphabet"/> (a, b, c, d, X, Y, E, B);
/// the class is due at the last step. The paper counts a sequence as right when every output unit is within
/// 0.3 of its one-hot target (<see cref="IsCorrect"/>).
/// </summary>
public sealed class TemporalOrder
{
    /// <summary>The input symbols in one-hot order: a=0, b=1, c=2, d=3, X=4, Y=5, E=6, B=7.</summary>
    public const string Alphabet = "abcdXYEB";

    /// <summary>The number of input symbols, the one-hot width (8).</summary>
    public const int SymbolCount = 8;

    /// <summary>The paper's success criterion: every output within 0.3 of the one-hot target.</summary>
    public const float Tolerance = 0.3f;

    private const string Distractors = "abcd";
    private readonly Random _rng;
    private readonly (int From, int To)[] _windows; // paper positions (1-based, inclusive)

    /// <summary>Number of relevant X/Y symbols, k.</summary>
    public int RelevantCount => _windows.Length;

    /// <summary>The number of classes, 2^k.</summary>
    public int ClassCount => 1 << RelevantCount;

    /// <summary>The shortest sequence, in steps (100, as in the paper).</summary>
    public int MinLength => 100;

    /// <summary>The longest sequence, in steps (110, as in the paper).</summary>
    public int MaxLength => 110;

    /// <summary>The paper's class names in label order: "QRSU" (6a) or "QRSUVABC" (6b).</summary>
    public string ClassNames => RelevantCount == 2 ? "QRSU" : "QRSUVABC";

    /// <summary>A generator of the paper's sequences with <paramref name="relevantCount"/> relevant symbols.</summary>
    /// <param name="relevantCount">2 for Task 6a, 3 for Task 6b.</param>
    /// <param name="seed">Seed; the same seed gives the same sequences in the same order.</param>
    public TemporalOrder(int relevantCount, int seed)
    {
        _windows = relevantCount switch
        {
            2 => [(10, 20), (50, 60)],
            3 => [(10, 20), (33, 43), (66, 76)],
            _ => throw new ArgumentOutOfRangeException(nameof(relevantCount), relevantCount, "The paper defines 2 (Task 6a) or 3 (Task 6b) relevant symbols."),
        };
        _rng = new Random(seed);
    }

    /// <summary>Task 6a: two relevant symbols, four classes.</summary>
    public static TemporalOrder Task6a(int seed) => new(2, seed);

    /// <summary>Task 6b: three relevant symbols, eight classes.</summary>
    public static TemporalOrder Task6b(int seed) => new(3, seed);

    /// <summary>The class of a sequence of relevant symbols, e.g. "XY" → 1 (R), "YXX" → 4 (V).</summary>
    public static int ClassOf(string relevant)
    {
        int label = 0;
        foreach (char c in relevant)
        {
            label <<= 1;
            if (c == 'Y') label |= 1;
            else if (c != 'X') throw new ArgumentException($"Relevant symbols are X or Y, got '{c}'.");
        }
        return label;
    }

    /// <summary>The paper's criterion: every output within 0.3 of the one-hot target of <paramref name="label"/>.</summary>
    /// <param name="outputs">[classes] the outputs at the last step.</param>
    /// <param name="label">The sequence's class.</param>
    /// <param name="tolerance">The largest distance from the target that still counts (the paper's 0.3 by default).</param>
    public static bool IsCorrect(ReadOnlySpan<float> outputs, int label, float tolerance = Tolerance)
    {
        for (int k = 0; k < outputs.Length; k++)
            if (MathF.Abs(outputs[k] - (k == label ? 1f : 0f)) >= tolerance) return false;
        return true;
    }

    /// <summary>A new random sequence with its class and the positions of its relevant symbols.</summary>
    public TemporalOrderSequence NextSequence()
    {
        int length = MinLength + _rng.Next(MaxLength - MinLength + 1);
        var chars = new char[length];
        chars[0] = 'E';
        chars[length - 1] = 'B';
        for (int t = 1; t < length - 1; t++) chars[t] = Distractors[_rng.Next(Distractors.Length)];
        var positions = new int[RelevantCount];
        int label = 0;
        for (int i = 0; i < RelevantCount; i++)
        {
            var (from, to) = _windows[i];
            positions[i] = from + _rng.Next(to - from + 1) - 1; // paper position → index
            bool y = _rng.Next(2) == 1;
            chars[positions[i]] = y ? 'Y' : 'X';
            label = label << 1 | (y ? 1 : 0);
        }
        return new TemporalOrderSequence(new string(chars), label, positions);
    }

    /// <summary>
    /// The next <paramref name="batchSize"/> sequences: inputs [T, B, 8] one-hot (zero after each sequence's
    /// end), labels [B] (due at step Lengths[b] − 1), lengths [B]; T = the longest in the batch.
    /// </summary>
    public SequenceClassificationBatch NextBatch(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var sequences = new TemporalOrderSequence[batchSize];
        for (int b = 0; b < batchSize; b++) sequences[b] = NextSequence();
        return Encode(sequences);
    }

    /// <summary>Encodes sequences as inputs [T, B, 8], labels [B], lengths [B].</summary>
    public static SequenceClassificationBatch Encode(IReadOnlyList<TemporalOrderSequence> sequences)
    {
        int batch = sequences.Count;
        if (batch == 0) throw new ArgumentException("Cannot encode an empty batch.");
        var lengths = new int[batch];
        var labels = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            lengths[b] = sequences[b].Symbols.Length;
            labels[b] = sequences[b].Label;
        }
        int steps = lengths.Max();
        var inputs = new float[steps * batch * SymbolCount]; // [T, B, 8]
        for (int b = 0; b < batch; b++)
        {
            string s = sequences[b].Symbols;
            for (int t = 0; t < s.Length; t++)
                inputs[(t * batch + b) * SymbolCount + LegalSets.SymbolIndex(s[t], Alphabet)] = 1f;
        }
        return new SequenceClassificationBatch(new Tensor(inputs, steps, batch, SymbolCount), labels, lengths);
    }
}
