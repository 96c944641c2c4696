using System.Numerics;
using System.Text;
using Carousel.Tensors;

namespace Carousel.Data.Tasks;

/// <summary>
/// Sets of legal next symbols, kept as bit masks (bit v set = symbol v legal; at most 32 symbols), and
/// the criteria that judge a model's per-step predictions of them.
/// </summary>
public static class LegalSets
{
    /// <summary>The usual decision threshold for sigmoid outputs.</summary>
    public const float DefaultThreshold = 0.5f;

    /// <summary>
    /// The threshold criterion (Gers &amp; Schmidhuber 2001): a step is right when the outputs above
    /// <paramref name="threshold"/> are exactly the legal symbols — every legal symbol above it, every
    /// other symbol at or below it.
    /// </summary>
    /// <param name="probabilities">[V] this step's outputs.</param>
    /// <param name="mask">The legal set as a bit mask (bit v = symbol v legal).</param>
    /// <param name="threshold">A symbol counts as predicted when its output is above this.</param>
    public static bool StepCorrect(ReadOnlySpan<float> probabilities, int mask, float threshold = DefaultThreshold)
    {
        for (int v = 0; v < probabilities.Length; v++)
        {
            bool legal = (mask >> v & 1) != 0;
            if (probabilities[v] > threshold != legal) return false;
        }
        return true;
    }

    /// <summary>
    /// The ranking criterion of Hochreiter &amp; Schmidhuber (1997), Experiment 1: the output units of the
    /// legal next symbols are the most active ones — with k legal symbols, the k largest outputs are exactly
    /// theirs (every legal output strictly above every illegal one; ties fail).
    /// </summary>
    /// <param name="probabilities">[V] this step's outputs.</param>
    /// <param name="mask">The legal set as a bit mask (bit v = symbol v legal).</param>
    public static bool StepCorrectByRank(ReadOnlySpan<float> probabilities, int mask)
    {
        float minLegal = float.PositiveInfinity, maxIllegal = float.NegativeInfinity;
        for (int v = 0; v < probabilities.Length; v++)
        {
            if ((mask >> v & 1) != 0) minLegal = MathF.Min(minLegal, probabilities[v]);
            else maxIllegal = MathF.Max(maxIllegal, probabilities[v]);
        }
        return minLegal > maxIllegal;
    }

    /// <summary>Whether every step of one sequence is right by the threshold criterion.</summary>
    /// <param name="probabilities">[steps, V] the sequence's per-step outputs, row t for the prefix ending at symbol t.</param>
    /// <param name="masks">[steps] the legal sets.</param>
    /// <param name="symbolCount">V, the number of outputs per step.</param>
    /// <param name="threshold">A symbol counts as predicted when its output is above this.</param>
    public static bool AllStepsCorrect(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> masks, int symbolCount, float threshold = DefaultThreshold)
    {
        CheckLength(probabilities, masks, symbolCount);
        for (int t = 0; t < masks.Length; t++)
            if (!StepCorrect(probabilities.Slice(t * symbolCount, symbolCount), masks[t], threshold)) return false;
        return true;
    }

    /// <summary>Whether every step of one sequence is right by the ranking criterion.</summary>
    /// <param name="probabilities">[steps, V] the sequence's per-step outputs.</param>
    /// <param name="masks">[steps] the legal sets.</param>
    /// <param name="symbolCount">V, the number of outputs per step.</param>
    public static bool AllStepsCorrectByRank(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> masks, int symbolCount)
    {
        CheckLength(probabilities, masks, symbolCount);
        for (int t = 0; t < masks.Length; t++)
            if (!StepCorrectByRank(probabilities.Slice(t * symbolCount, symbolCount), masks[t])) return false;
        return true;
    }

    /// <summary>Whether symbol index <paramref name="symbol"/> is in the set <paramref name="mask"/>.</summary>
    public static bool Contains(int mask, int symbol) => (mask >> symbol & 1) != 0;

    /// <summary>The number of symbols in the set.</summary>
    public static int Count(int mask) => BitOperations.PopCount((uint)mask);

    /// <summary>The mask of the symbols of <paramref name="symbols"/> in <paramref name="alphabet"/>, e.g. ("TP", "BTPSXVE") → 0b110.</summary>
    public static int FromSymbols(string symbols, string alphabet)
    {
        int mask = 0;
        foreach (char c in symbols) mask |= 1 << SymbolIndex(c, alphabet);
        return mask;
    }

    /// <summary>The symbols of a mask in alphabet order, e.g. 0b110 over "BTPSXVE" → "TP".</summary>
    public static string ToSymbols(int mask, string alphabet)
    {
        var sb = new StringBuilder();
        for (int v = 0; v < alphabet.Length; v++)
            if (Contains(mask, v)) sb.Append(alphabet[v]);
        return sb.ToString();
    }

    internal static int SymbolIndex(char c, string alphabet)
    {
        int i = alphabet.IndexOf(c);
        if (i < 0) throw new ArgumentException($"Symbol '{c}' is not in the alphabet \"{alphabet}\".");
        return i;
    }

    /// <summary>
    /// Encodes strings and their per-step legal sets into a padded time-major batch. Row b reads
    /// strings[b][0 .. L−2] (every symbol but the last, since nothing follows the last) and its target at step
    /// t is masks[b][t], the legal set after the prefix strings[b][0 .. t].
    /// </summary>
    internal static SymbolPredictionBatch Encode(IReadOnlyList<string> strings, IReadOnlyList<int[]> masks, string alphabet)
    {
        int batch = strings.Count, v = alphabet.Length;
        if (batch == 0) throw new ArgumentException("Cannot encode an empty batch.");
        var lengths = new int[batch];
        int steps = 0;
        for (int b = 0; b < batch; b++)
        {
            lengths[b] = strings[b].Length - 1;
            if (masks[b].Length != lengths[b]) throw new ArgumentException("One legal set per input step is needed.");
            steps = Math.Max(steps, lengths[b]);
        }
        var inputs = new float[steps * batch * v];   // [T, B, V]
        var targets = new float[steps * batch * v];  // [T, B, V]
        var maskGrid = new int[steps * batch];       // [T, B]
        for (int b = 0; b < batch; b++)
        {
            string s = strings[b];
            for (int t = 0; t < lengths[b]; t++)
            {
                int row = t * batch + b;
                inputs[row * v + SymbolIndex(s[t], alphabet)] = 1f;
                int m = masks[b][t];
                maskGrid[row] = m;
                for (int k = 0; k < v; k++)
                    if (Contains(m, k)) targets[row * v + k] = 1f;
            }
        }
        return new SymbolPredictionBatch(new Tensor(inputs, steps, batch, v), new Tensor(targets, steps, batch, v), maskGrid, lengths);
    }

    private static void CheckLength(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> masks, int symbolCount)
    {
        if (probabilities.Length != masks.Length * symbolCount)
            throw new ArgumentException($"Expected [{masks.Length}, {symbolCount}] = {masks.Length * symbolCount} outputs, got {probabilities.Length}.");
    }
}
