namespace Carousel.Diagnostics;

/// <summary>
/// Numerical gradients by central differences, to check analytic (backward) gradients.
/// In float32, a step of about 1e−2 to 1e−3 balances truncation against rounding error.
/// </summary>
public static class GradientCheck
{
    /// <summary>(L(v + ε) − L(v − ε)) / 2ε for element <paramref name="index"/> of <paramref name="values"/>, restoring it after.</summary>
    public static double Central(Func<double> loss, float[] values, int index, float epsilon)
    {
        float original = values[index];
        values[index] = original + epsilon;
        double plus = loss();
        values[index] = original - epsilon;
        double minus = loss();
        values[index] = original;
        // Use the step actually taken after float rounding.
        double step = (double)(original + epsilon) - (double)(original - epsilon);
        return (plus - minus) / step;
    }

    /// <summary>
    /// Compares analytic gradients with central differences for every element of <paramref name="values"/> and returns
    /// the worst mismatch |num − ana| / (absTol + relTol·max(|num|, |ana|)), with its index and both gradients there.
    /// </summary>
    /// <remarks>A worst ratio ≤ 1 means every element agrees within tolerance; a NaN counts as infinitely wrong.</remarks>
    public static (double WorstRatio, int WorstIndex, double Numeric, double Analytic) Compare(
        Func<double> loss, float[] values, ReadOnlySpan<float> analytic, float epsilon, double absoluteTolerance, double relativeTolerance)
    {
        double worst = 0; int worstIndex = -1; double worstNumeric = 0, worstAnalytic = 0;
        for (int i = 0; i < values.Length; i++)
        {
            double numeric = Central(loss, values, i, epsilon);
            double ana = analytic[i];
            double ratio = Math.Abs(numeric - ana) / (absoluteTolerance + relativeTolerance * Math.Max(Math.Abs(numeric), Math.Abs(ana)));
            if (ratio > worst || double.IsNaN(ratio)) { worst = double.IsNaN(ratio) ? double.PositiveInfinity : ratio; worstIndex = i; worstNumeric = numeric; worstAnalytic = ana; }
        }
        return (worst, worstIndex, worstNumeric, worstAnalytic);
    }
}
