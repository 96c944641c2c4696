namespace Carousel.Data.Tasks;

/// <summary>
/// The sequences of Schmidhuber's (1992) history-compression argument: a x₁ … xₙ b or c x₁ … xₙ d, each with probability
/// ½. The first symbol is unpredictable; the middle x₁ … xₙ is the same in every sequence, the cycle e f g h e f g h …
/// (predictable from the symbol before); the last symbol is determined by the first, n + 1 steps earlier. Symbols are
/// indices into <see cref="Alphabet"/> (a=0, b=1, c=2, d=3, e..h = 4..7).
/// </summary>
public sealed class PredictableMiddleSequences
{
    /// <summary>The symbols in index order.</summary>
    public const string Alphabet = "abcdefgh";

    /// <summary>The number of symbols (8).</summary>
    public const int SymbolCount = 8;

    private const int CycleStart = 4, CycleLength = 4;
    private readonly Random _rng;

    /// <summary>A generator of sequences with <paramref name="middle"/> predictable symbols between the first and the last.</summary>
    /// <param name="middle">n, at least 1.</param>
    /// <param name="seed">Seed; the same seed gives the same sequences in the same order.</param>
    public PredictableMiddleSequences(int middle, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(middle, 1);
        Middle = middle;
        _rng = new Random(seed);
    }

    /// <summary>n, the predictable symbols between the first and the last.</summary>
    public int Middle { get; }

    /// <summary>n + 2, the steps of every sequence.</summary>
    public int Length => Middle + 2;

    /// <summary>The last symbol that belongs to <paramref name="first"/>: b after a, d after c.</summary>
    public static int LastFor(int first) => first == 0 ? 1 : 3;

    /// <summary>The next sequence as symbol indices [n + 2].</summary>
    public int[] Next()
    {
        var symbols = new int[Length];
        symbols[0] = _rng.Next(2) == 0 ? 0 : 2;
        for (int i = 1; i <= Middle; i++) symbols[i] = CycleStart + (i - 1) % CycleLength;
        symbols[^1] = LastFor(symbols[0]);
        return symbols;
    }

    /// <summary>The next <paramref name="count"/> sequences.</summary>
    public int[][] Next(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var sequences = new int[count][];
        for (int b = 0; b < count; b++) sequences[b] = Next();
        return sequences;
    }
}
