using Carousel.Tensors;

namespace Carousel.Data.Series;

/// <summary>
/// The NARMA-10 system (Atiya &amp; Parlos 2000; the ESN benchmark of Jaeger 2003):
/// y(t+1) = 0.3·y(t) + 0.05·y(t)·Σ_{i=0}^{9} y(t−i) + 1.5·u(t−9)·u(t) + 0.1, with inputs u(t) uniform in [0, 0.5].
/// y is 0 before the recurrence has ten past values. The task: from u(0..t), produce y(t+1).
/// </summary>
public static class Narma
{
    /// <summary>The system's memory: y(t+1) depends on the last ten outputs and on u(t − 9).</summary>
    public const int Order = 10;

    /// <summary>Seeded random inputs u [steps] and outputs y [steps + 1] (y[t + 1] is the target for input u[t]).</summary>
    public static (double[] Inputs, double[] Outputs) Generate(int steps, int seed = 1)
    {
        if (steps <= 0) throw new ArgumentException($"The number of steps must be positive, got {steps}.");
        var rng = new Rng((ulong)seed);
        var u = new double[steps];
        for (int t = 0; t < steps; t++) u[t] = 0.5 * rng.NextDouble();
        return (u, Outputs(u));
    }

    /// <summary>y [u.Length + 1] of the recurrence driven by <paramref name="u"/>.</summary>
    public static double[] Outputs(ReadOnlySpan<double> u)
    {
        var y = new double[u.Length + 1];
        for (int t = Order - 1; t < u.Length; t++)
        {
            double sum = 0;
            for (int i = 0; i < Order; i++) sum += y[t - i];
            y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * sum + 1.5 * u[t - (Order - 1)] * u[t] + 0.1;
        }
        return y;
    }
}
