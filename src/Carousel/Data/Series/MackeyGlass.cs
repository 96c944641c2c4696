using Carousel.Tensors;

namespace Carousel.Data.Series;

/// <summary>
/// The Mackey-Glass delay differential equation (Mackey &amp; Glass 1977), dx/dt = a·x(t−τ)/(1 + x(t−τ)ⁿ) − b·x(t),
/// sampled as ReservoirPy's <c>mackey_glass</c> does: a = 0.2, b = 0.1, n = 10, τ = 17 (mildly chaotic), x(0) = 1.2,
/// one sample per time step h = 1, each step one classical Runge–Kutta (RK4) step in which the delayed value x(t−τ)
/// is held at the sample τ/h steps back. The history before t = 0 (τ/h values) is x0 + U(−0.1, 0.1), seeded, or given.
/// </summary>
public static class MackeyGlass
{
    /// <summary>The series x(0), x(h), … x((steps − 1)·h), <paramref name="steps"/> samples starting at <paramref name="x0"/>.</summary>
    /// <param name="steps">Number of samples x(0), x(h), …</param>
    /// <param name="tau">τ, the delay in time units (17 is mildly chaotic, 30 more so).</param>
    /// <param name="a">The gain of the delayed feedback term.</param>
    /// <param name="b">The decay rate of x.</param>
    /// <param name="n">The exponent of the delayed term's saturation.</param>
    /// <param name="x0">x(0), and the centre of the drawn history.</param>
    /// <param name="h">The time step between two samples.</param>
    /// <param name="seed">Seeds the drawn history (ignored when <paramref name="history"/> is given).</param>
    /// <param name="history">The τ/h values before t = 0, oldest first; null draws x0 + U(−0.1, 0.1) from <paramref name="seed"/>.</param>
    public static double[] Generate(int steps, int tau = 17, double a = 0.2, double b = 0.1, double n = 10, double x0 = 1.2,
        double h = 1.0, int seed = 1, double[]? history = null)
    {
        if (steps <= 0) throw new ArgumentException($"The number of steps must be positive, got {steps}.");
        if (tau < 0 || !(h > 0)) throw new ArgumentException($"Need τ ≥ 0 and a positive time step, got τ = {tau}, h = {h}.");
        int delay = (int)Math.Floor(tau / h);
        var past = new double[delay]; // a ring: past[next] is the value τ/h steps back
        if (history is not null)
        {
            if (history.Length < delay) throw new ArgumentException($"The history has {history.Length} values, τ/h = {delay} are needed.");
            Array.Copy(history, history.Length - delay, past, 0, delay);
        }
        else
        {
            var rng = new Rng((ulong)seed);
            for (int i = 0; i < delay; i++) past[i] = x0 + 0.2 * (rng.NextDouble() - 0.5);
        }
        var x = new double[steps];
        double xt = x0;
        int next = 0;
        for (int i = 0; i < steps; i++)
        {
            x[i] = xt;
            double delayed = 0;
            if (delay > 0)
            {
                delayed = past[next];
                past[next] = xt;
                next = (next + 1) % delay;
            }
            xt = RungeKutta4(xt, delayed, a, b, n, h);
        }
        return x;
    }

    private static double Derivative(double x, double delayed, double a, double b, double n) =>
        a * delayed / (1 + Math.Pow(delayed, n)) - b * x;

    private static double RungeKutta4(double x, double delayed, double a, double b, double n, double h)
    {
        double k1 = h * Derivative(x, delayed, a, b, n);
        double k2 = h * Derivative(x + 0.5 * k1, delayed, a, b, n);
        double k3 = h * Derivative(x + 0.5 * k2, delayed, a, b, n);
        double k4 = h * Derivative(x + k3, delayed, a, b, n);
        return x + k1 / 6 + k2 / 3 + k3 / 3 + k4 / 6;
    }
}
