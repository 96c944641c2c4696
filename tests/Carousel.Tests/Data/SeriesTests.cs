using Carousel.Data.Series;

namespace Carousel.Tests.Data;

public class SeriesTests
{
    [Fact]
    public void MackeyGlassWithAConstantHistoryFollowsTheLinearSolutionForItsFirstDelay()
    {
        // With x(t − τ) ≡ 1.2 for the first τ + 1 steps the equation is linear: x(t) = x* + (1.2 − x*)·e^{−bt},
        // x* = a·1.2 / (1 + 1.2¹⁰) / b. RK4 with h = 1 is accurate to ~(bh)⁵/120 per step.
        var x = MackeyGlass.Generate(40, history: Enumerable.Repeat(1.2, 17).ToArray());
        double fixedPoint = 0.2 * 1.2 / (1 + Math.Pow(1.2, 10)) / 0.1;
        for (int t = 0; t <= 18; t++)
            Numerics.Close(fixedPoint + (1.2 - fixedPoint) * Math.Exp(-0.1 * t), x[t], 1e-6, 0, $"x[{t}]");
        // After that the delayed term follows the series and the solution leaves the linear one.
        Assert.True(Math.Abs(x[30] - (fixedPoint + (1.2 - fixedPoint) * Math.Exp(-3.0))) > 1e-3);
    }

    [Fact]
    public void MackeyGlassStaysOnItsAttractorAndIsSeeded()
    {
        var x = MackeyGlass.Generate(5000, seed: 3);
        var settled = x[500..];
        Assert.InRange(settled.Min(), 0.2, 0.6);
        Assert.InRange(settled.Max(), 1.2, 1.45);
        Assert.Equal(x, MackeyGlass.Generate(5000, seed: 3));
        Assert.NotEqual(x[100], MackeyGlass.Generate(5000, seed: 4)[100]);
    }

    [Fact]
    public void NarmaTenFollowsItsRecurrence()
    {
        var (u, y) = Narma.Generate(3000, seed: 2);
        Assert.Equal(3001, y.Length);
        Assert.All(u, v => Assert.InRange(v, 0.0, 0.5));
        Assert.True(u.Max() > 0.45 && u.Min() < 0.05, "inputs cover [0, 0.5]");
        for (int t = 0; t < 10; t++) Assert.Equal(0.0, y[t]);
        for (int t = 9; t < u.Length; t++)
        {
            double window = y[t] + y[t - 1] + y[t - 2] + y[t - 3] + y[t - 4] + y[t - 5] + y[t - 6] + y[t - 7] + y[t - 8] + y[t - 9];
            Numerics.Close(0.3 * y[t] + 0.05 * y[t] * window + 1.5 * u[t - 9] * u[t] + 0.1, y[t + 1], 1e-12, 1e-15, $"y[{t + 1}]");
        }
        Assert.InRange(y.Max(), 0.2, 1.0); // bounded: this draw does not diverge
        Assert.Equal(u, Narma.Generate(3000, seed: 2).Inputs);
    }
}
