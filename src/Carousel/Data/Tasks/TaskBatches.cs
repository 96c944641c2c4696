using Carousel.Tensors;

namespace Carousel.Data.Tasks;

// The batch shapes shared by the benchmark task generators. Everything is time-major: step t of batch
// row b, feature f sits at index (t * B + b) * F + f. Sequences shorter than the batch's T are padded
// with zeros after their end; Lengths[b] says where row b ends. Float data travels as Tensors,
// integer labels and lengths as int arrays.

/// <summary>
/// Next-symbol prediction with a <em>set</em> of legal answers per step (Reber grammar, aⁿbⁿcⁿ).
/// At step t the input is the t-th symbol of a string and the target is the set of symbols that may
/// legally follow the prefix read so far.
/// </summary>
/// <param name="Inputs">[T, B, V] one-hot symbols; zero rows after a string's end.</param>
/// <param name="Targets">[T, B, V] multi-hot legal-next-symbol sets (1 = legal); zero after the end.</param>
/// <param name="Masks">[T, B] the same sets as bit masks (bit v = symbol v legal), index t * B + b; 0 after the end.</param>
/// <param name="Lengths">[B] number of real steps of each row.</param>
public sealed record SymbolPredictionBatch(Tensor Inputs, Tensor Targets, int[] Masks, int[] Lengths)
{
    /// <summary>T, the number of time steps (the longest row).</summary>
    public int Steps => Inputs.Shape[0];

    /// <summary>B, the number of sequences.</summary>
    public int BatchSize => Inputs.Shape[1];

    /// <summary>V, the number of symbols (the one-hot width of inputs and targets).</summary>
    public int SymbolCount => Inputs.Shape[2];

    /// <summary>
    /// Whether row <paramref name="row"/> is predicted right at every one of its steps by the
    /// threshold criterion of <see cref="LegalSets.StepCorrect"/>.
    /// </summary>
    /// <param name="outputs">[T, B, V] per-step probabilities (sigmoid outputs, or softmax).</param>
    /// <param name="row">The batch row b to check.</param>
    /// <param name="threshold">A symbol counts as predicted when its probability is above this.</param>
    public bool RowCorrect(ReadOnlySpan<float> outputs, int row, float threshold = LegalSets.DefaultThreshold)
    {
        CheckOutputs(outputs);
        int batch = BatchSize, v = SymbolCount;
        for (int t = 0; t < Lengths[row]; t++)
        {
            if (!LegalSets.StepCorrect(outputs.Slice((t * batch + row) * v, v), Masks[t * batch + row], threshold))
                return false;
        }
        return true;
    }

    /// <summary>As <see cref="RowCorrect"/> but by the 1997 paper's ranking criterion (<see cref="LegalSets.StepCorrectByRank"/>).</summary>
    public bool RowCorrectByRank(ReadOnlySpan<float> outputs, int row)
    {
        CheckOutputs(outputs);
        int batch = BatchSize, v = SymbolCount;
        for (int t = 0; t < Lengths[row]; t++)
        {
            if (!LegalSets.StepCorrectByRank(outputs.Slice((t * batch + row) * v, v), Masks[t * batch + row]))
                return false;
        }
        return true;
    }

    /// <summary>Number of rows predicted right at every step (threshold criterion).</summary>
    /// <param name="outputs">[T, B, V] per-step probabilities.</param>
    /// <param name="threshold">A symbol counts as predicted when its probability is above this.</param>
    public int CountCorrect(ReadOnlySpan<float> outputs, float threshold = LegalSets.DefaultThreshold)
    {
        int n = 0;
        for (int b = 0; b < BatchSize; b++)
            if (RowCorrect(outputs, b, threshold)) n++;
        return n;
    }

    private void CheckOutputs(ReadOnlySpan<float> outputs)
    {
        if (outputs.Length != Inputs.Length)
            throw new ArgumentException($"Outputs must have shape [{Steps}, {BatchSize}, {SymbolCount}] ({Inputs.Length} values), got {outputs.Length}.");
    }
}

/// <summary>One real-valued target per sequence, due at the sequence's last step (adding, multiplication).</summary>
/// <param name="Inputs">[T, B, F] inputs; zero after a sequence's end.</param>
/// <param name="Targets">[B] the target for the output at step Lengths[b] − 1.</param>
/// <param name="Lengths">[B] sequence lengths (T = the largest).</param>
public sealed record SequenceRegressionBatch(Tensor Inputs, Tensor Targets, int[] Lengths)
{
    /// <summary>T, the number of time steps (the longest row).</summary>
    public int Steps => Inputs.Shape[0];

    /// <summary>B, the number of sequences.</summary>
    public int BatchSize => Inputs.Shape[1];

    /// <summary>F, the number of input features per step.</summary>
    public int FeatureCount => Inputs.Shape[2];
}

/// <summary>One class per sequence, due at the sequence's last step (temporal order).</summary>
/// <param name="Inputs">[T, B, F] one-hot inputs; zero after a sequence's end.</param>
/// <param name="Labels">[B] class of each sequence, for the output at step Lengths[b] − 1.</param>
/// <param name="Lengths">[B] sequence lengths (T = the largest).</param>
public sealed record SequenceClassificationBatch(Tensor Inputs, int[] Labels, int[] Lengths)
{
    /// <summary>T, the number of time steps (the longest row).</summary>
    public int Steps => Inputs.Shape[0];

    /// <summary>B, the number of sequences.</summary>
    public int BatchSize => Inputs.Shape[1];

    /// <summary>F, the number of input features per step.</summary>
    public int FeatureCount => Inputs.Shape[2];
}

/// <summary>A class target at some steps and nothing at others (copy task).</summary>
/// <param name="Inputs">[T, B, F] one-hot inputs.</param>
/// <param name="Targets">[T, B] class per step at index t * B + b, or <see cref="Ignore"/> (−1) where no output is expected.</param>
/// <param name="Lengths">[B] sequence lengths.</param>
public sealed record StepClassificationBatch(Tensor Inputs, int[] Targets, int[] Lengths)
{
    /// <summary>The target value of steps whose output is not scored.</summary>
    public const int Ignore = -1;

    /// <summary>T, the number of time steps (the longest row).</summary>
    public int Steps => Inputs.Shape[0];

    /// <summary>B, the number of sequences.</summary>
    public int BatchSize => Inputs.Shape[1];

    /// <summary>F, the number of input features per step.</summary>
    public int FeatureCount => Inputs.Shape[2];
}
