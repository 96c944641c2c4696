namespace Carousel.Diagnostics;

/// <summary>
/// Errors of a predicted series against its target: RMSE; NRMSE = RMSE / standard deviation of the target (the
/// normalisation of the ESN literature: 1 is no better than predicting the mean); R² = 1 − Σe² / Σ(y − ȳ)²
/// (ReservoirPy's rsquare).
/// </summary>
/// <param name="Rmse">Root mean squared error, in the units of the target.</param>
/// <param name="Nrmse">RMSE divided by the target's standard deviation (0 is perfect, 1 is as good as the mean).</param>
/// <param name="RSquared">The coefficient of determination, 1 − Σe² / Σ(y − ȳ)² (1 is perfect, 0 is as good as the mean).</param>
public readonly record struct RegressionMetrics(double Rmse, double Nrmse, double RSquared)
{
    /// <summary>The errors of <paramref name="predictions"/> against <paramref name="targets"/> (same length, at least one).</summary>
    public static RegressionMetrics Of(ReadOnlySpan<double> targets, ReadOnlySpan<double> predictions)
    {
        if (targets.Length != predictions.Length || targets.Length == 0)
            throw new ArgumentException($"Need as many predictions as targets (at least one), got {predictions.Length} and {targets.Length}.");
        double mean = 0;
        foreach (double y in targets) mean += y;
        mean /= targets.Length;
        double squaredError = 0, squaredDeviation = 0;
        for (int i = 0; i < targets.Length; i++)
        {
            double e = predictions[i] - targets[i], d = targets[i] - mean;
            squaredError += e * e;
            squaredDeviation += d * d;
        }
        double rmse = Math.Sqrt(squaredError / targets.Length);
        double std = Math.Sqrt(squaredDeviation / targets.Length);
        return new RegressionMetrics(rmse, rmse / std, 1 - squaredError / squaredDeviation);
    }
}
