using Carousel.Optimizers;

namespace Carousel.Tests.Optimizers;

/// <summary>
/// The Hessian-free step on models whose loss and curvature are known exactly: a quadratic ½θᵀAθ + cᵀθ (G = A), and the same
/// quadratic with a quartic term the Gauss-Newton model does not see. CG's solution, the damping rule and the warm start.
/// </summary>
public class HessianFreeStepTests
{
    /// <summary>f(θ) = ½θᵀAθ + cᵀθ + κ·Σθ⁴, curvature products by A alone (κ is invisible to the model).</summary>
    private sealed class Quadratic(double[,] a, double[] c, double quartic = 0) : ICurvatureProducts
    {
        public double[] Theta { get; } = new double[c.Length];
        public int Products { get; private set; }
        public int Dimension => c.Length;

        private double Loss(ReadOnlySpan<float> delta)
        {
            int n = Dimension;
            double f = 0;
            for (int i = 0; i < n; i++)
            {
                double ti = Theta[i] + (delta.IsEmpty ? 0 : delta[i]);
                f += c[i] * ti + quartic * ti * ti * ti * ti;
                for (int j = 0; j < n; j++) f += 0.5 * ti * a[i, j] * (Theta[j] + (delta.IsEmpty ? 0 : delta[j]));
            }
            return f;
        }

        public double LossAndGradient(Span<float> gradient)
        {
            for (int i = 0; i < Dimension; i++)
            {
                double g = c[i] + 4 * quartic * Math.Pow(Theta[i], 3);
                for (int j = 0; j < Dimension; j++) g += a[i, j] * Theta[j];
                gradient[i] = (float)g;
            }
            return Loss(default);
        }

        public double LossAt(ReadOnlySpan<float> delta) => Loss(delta);

        public void CurvatureProduct(ReadOnlySpan<float> v, float structuralDamping, Span<float> result)
        {
            Products++;
            for (int i = 0; i < Dimension; i++)
            {
                double s = 0;
                for (int j = 0; j < Dimension; j++) s += a[i, j] * v[j];
                result[i] = (float)s;
            }
        }

        public void AddToWeights(ReadOnlySpan<float> delta)
        {
            for (int i = 0; i < Dimension; i++) Theta[i] += delta[i];
        }
    }

    // A = MᵀM + 0.1·I for a fixed M: symmetric positive definite, condition number in the hundreds.
    private static (double[,] A, double[] C) Problem(int n)
    {
        var m = new double[n, n];
        var rng = new Tensors.Rng(3);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) m[i, j] = rng.NextGaussian();
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                for (int k = 0; k < n; k++) a[i, j] += m[k, i] * m[k, j];
                if (i == j) a[i, j] += 0.1;
            }
        var c = new double[n];
        for (int i = 0; i < n; i++) c[i] = rng.NextGaussian();
        return (a, c);
    }

    [Fact]
    public void OnAQuadraticCgFindsTheMinimumAndTheDampingFalls()
    {
        const int n = 8;
        var (a, c) = Problem(n);
        var model = new Quadratic(a, c);
        var hf = new HessianFree(new HessianFreeSettings { InitialDamping = 1e-6f, MaxCgIterations = 200, MinCgIterations = 40, CgTolerance = 1e-9f }, n);

        var step = hf.Step(model);

        // θ* solves A·θ = −c.
        for (int i = 0; i < n; i++)
        {
            double residual = c[i];
            for (int j = 0; j < n; j++) residual += a[i, j] * model.Theta[j];
            Assert.True(Math.Abs(residual) < 1e-3, $"residual {i}: {residual}");
        }
        Assert.True(step.LossAfter < step.LossBefore);
        Assert.InRange(step.Rho, 0.99, 1.01); // the model is exact
        Assert.Equal(1e-6f * 2f / 3f, hf.Damping, 1e-12f);
        Assert.Equal(1f, step.StepSize);
    }

    [Fact]
    public void WhenTheModelPromisesTooMuchTheDampingRisesAndTheLineSearchShortens()
    {
        const int n = 6;
        var (a, c) = Problem(n);
        var model = new Quadratic(a, c, quartic: 50);
        var hf = new HessianFree(new HessianFreeSettings { InitialDamping = 1e-3f }, n);

        var step = hf.Step(model);

        Assert.True(step.Rho < 0.25, $"ρ = {step.Rho}");
        Assert.Equal(1e-3f * 1.5f, hf.Damping, 1e-9f);
        Assert.True(step.StepSize < 1f, $"α = {step.StepSize}");
        Assert.True(step.LossAfter < step.LossBefore, $"{step.LossAfter} ≥ {step.LossBefore}");
    }

    [Fact]
    public void TheNextStepStartsFromThePreviousSolution()
    {
        // Two steps, each on the same problem from θ = 0, two CG iterations each: warm-started from 0.95 times the first
        // step's solution, the second is well ahead of one that starts CG from zero again (ζ = 0).
        const int n = 8;
        var (a, c) = Problem(n);
        var settings = new HessianFreeSettings { InitialDamping = 1e-6f, MinCgIterations = 1, MaxCgIterations = 2, LineSearch = false };
        var warm = new HessianFree(settings with { CgDecay = 0.95f }, n);
        var cold = new HessianFree(settings with { CgDecay = 0f }, n);
        warm.Step(new Quadratic(a, c));
        cold.Step(new Quadratic(a, c));

        var warmStep = warm.Step(new Quadratic(a, c));
        var coldStep = cold.Step(new Quadratic(a, c));

        Assert.True(warmStep.LossAfter < coldStep.LossAfter - 1e-3 * Math.Abs(coldStep.LossAfter), $"warm {warmStep.LossAfter}, cold {coldStep.LossAfter}");
    }
}
