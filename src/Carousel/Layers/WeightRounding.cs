using Carousel.Kernels;
using Carousel.Tensors;

namespace Carousel.Layers;

/// <summary>
/// Rounds a model's matrix weights in place to a reduced precision, to measure what keeping them so costs in quality
/// (for example a classifier's accuracy with bfloat16 weights) with the float32 forward that serves everything else.
/// </summary>
public static class WeightRounding
{
    /// <summary>
    /// Rounds, in place, every weight matrix that a matrix product reads — the recurrent layers' <c>weight_ih_l*</c> and
    /// <c>weight_hh_l*</c>, the linear layers' <c>weight</c> — to <paramref name="precision"/> (bfloat16: nearest, ties to
    /// even, widened back to float32). Embedding tables, biases and other vectors stay float32: a lookup reads one row
    /// per token and a vector is negligible. Returns the number of parameters rounded (0 for float32).
    /// </summary>
    public static int RoundMatrixWeights(IModule model, WeightPrecision precision)
    {
        if (precision == WeightPrecision.Float32) return 0;
        int rounded = 0;
        foreach (var (name, parameter) in model.NamedParameters())
        {
            if (!IsProductWeight(name, parameter)) continue;
            RoundToBf16(parameter);
            rounded++;
        }
        return rounded;
    }

    /// <summary>Rounds every value of <paramref name="parameter"/> to bfloat16 in place (nearest, ties to even) and marks it changed.</summary>
    public static void RoundToBf16(Parameter parameter)
    {
        var data = parameter.Value.Data;
        for (int i = 0; i < data.Length; i++) data[i] = Bf16Matrix.RoundTrip(data[i]);
        parameter.MarkChanged();
    }

    // A matrix read by a product: rank 2, named weight / weight_ih_lK / weight_hh_lK, not inside an embedding module.
    private static bool IsProductWeight(string name, Parameter parameter)
    {
        if (parameter.Value.Rank != 2) return false;
        string[] parts = name.Split('.');
        string leaf = parts[^1];
        bool weight = leaf == "weight" || leaf.StartsWith("weight_ih_", StringComparison.Ordinal) || leaf.StartsWith("weight_hh_", StringComparison.Ordinal);
        return weight && !parts.Any(p => p.Contains("embedding", StringComparison.OrdinalIgnoreCase));
    }
}
