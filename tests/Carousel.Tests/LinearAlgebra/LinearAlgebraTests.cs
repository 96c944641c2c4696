using Carousel.LinearAlgebra;
using Carousel.Tensors;

namespace Carousel.Tests.LinearAlgebra;

public class LinearAlgebraTests
{
    /// <summary>B: 2×2 rotation-scaling blocks (complex pairs r·e^{±iθ}) and real values on the diagonal; returns B and its eigenvalues.</summary>
    private static (double[] Matrix, List<(double Re, double Im)> Eigenvalues) BlockDiagonal(int n, (double R, double Theta)[] pairs, double[] reals)
    {
        var b = new double[n * n];
        var eigenvalues = new List<(double, double)>();
        int at = 0;
        foreach (var (r, theta) in pairs)
        {
            b[at * n + at] = r * Math.Cos(theta); b[at * n + at + 1] = -r * Math.Sin(theta);
            b[(at + 1) * n + at] = r * Math.Sin(theta); b[(at + 1) * n + at + 1] = r * Math.Cos(theta);
            eigenvalues.Add((r * Math.Cos(theta), r * Math.Sin(theta)));
            eigenvalues.Add((r * Math.Cos(theta), -r * Math.Sin(theta)));
            at += 2;
        }
        foreach (double v in reals) { b[at * n + at] = v; eigenvalues.Add((v, 0)); at++; }
        Assert.Equal(n, at);
        return (b, eigenvalues);
    }

    /// <summary>S·B·S⁻¹ with S = I + u vᵀ (S⁻¹ = I − u vᵀ / (1 + vᵀu)): a dense, non-normal matrix with B's eigenvalues.</summary>
    private static double[] Similar(double[] b, int n, Rng rng)
    {
        var u = new double[n]; var v = new double[n];
        for (int i = 0; i < n; i++) { u[i] = rng.NextGaussian(); v[i] = 0.5 * rng.NextGaussian(); }
        double vu = 0;
        for (int i = 0; i < n; i++) vu += v[i] * u[i];
        var s = new double[n * n]; var sInverse = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double identity = i == j ? 1 : 0;
                s[i * n + j] = identity + u[i] * v[j];
                sInverse[i * n + j] = identity - u[i] * v[j] / (1 + vu);
            }
        return Multiply(Multiply(s, b, n), sInverse, n);
    }

    private static double[] Multiply(double[] a, double[] b, int n)
    {
        var c = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < n; k++)
                for (int j = 0; j < n; j++) c[i * n + j] += a[i * n + k] * b[k * n + j];
        return c;
    }

    [Theory]
    [InlineData(0.9, -0.7)]   // the largest eigenvalues are a complex pair (where power iteration would not settle)
    [InlineData(0.6, -1.3)]   // a real eigenvalue dominates
    public void EigenvaluesOfAMatrixWithKnownSpectrum(double pairRadius, double largestReal)
    {
        const int n = 9;
        var (b, expected) = BlockDiagonal(n, [(pairRadius, 0.7), (0.5, 2.1), (0.3, 1.0)], [largestReal, 0.45, -0.2]);
        var a = Similar(b, n, new Rng(7));

        var (re, im) = Eigenvalues.Compute(a, n);

        var actual = re.Zip(im).Select(p => (Re: p.First, Im: p.Second)).OrderBy(p => p.Re).ThenBy(p => p.Im).ToList();
        var sorted = expected.OrderBy(p => p.Re).ThenBy(p => p.Im).ToList();
        for (int i = 0; i < n; i++)
        {
            Numerics.Close(sorted[i].Re, actual[i].Re, 0, 1e-9, $"Re λ{i}");
            Numerics.Close(sorted[i].Im, actual[i].Im, 0, 1e-9, $"Im λ{i}");
        }
        Numerics.Close(Math.Max(pairRadius, Math.Abs(largestReal)), Eigenvalues.SpectralRadius(a, n), 1e-10, 0, "spectral radius");
    }

    [Fact]
    public void EigenvaluesOfARandomMatrixSumToItsTraceAndTheirSquaresToTheTraceOfItsSquare()
    {
        const int n = 60;
        var rng = new Rng(3);
        var a = new double[n * n];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextGaussian();
        var (re, im) = Eigenvalues.Compute(a, n);
        var a2 = Multiply(a, a, n);
        double trace = 0, trace2 = 0, sum = 0, sumIm = 0, sum2 = 0;
        for (int i = 0; i < n; i++)
        {
            trace += a[i * n + i]; trace2 += a2[i * n + i];
            sum += re[i]; sumIm += im[i];
            sum2 += re[i] * re[i] - im[i] * im[i]; // Re(λ²)
        }
        Numerics.Close(trace, sum, 1e-9, 1e-9, "Σλ");
        Numerics.Close(0, sumIm, 0, 1e-9, "Σ Im λ");
        Numerics.Close(trace2, sum2, 1e-9, 1e-8, "Σλ²");
    }

    [Fact]
    public void RidgeWithoutPenaltyRecoversAnExactLinearMap()
    {
        const int features = 6, outputs = 2;
        var rng = new Rng(5);
        var truth = new double[outputs * features];
        for (int i = 0; i < truth.Length; i++) truth[i] = rng.NextGaussian();
        var ridge = new RidgeRegression(features, outputs);
        var z = new double[features]; var y = new double[outputs];
        for (int t = 0; t < 50; t++)
        {
            for (int d = 0; d < features; d++) z[d] = rng.NextGaussian();
            for (int o = 0; o < outputs; o++)
            {
                y[o] = 0;
                for (int d = 0; d < features; d++) y[o] += truth[o * features + d] * z[d];
            }
            ridge.Add(z, y);
        }
        var w = ridge.Solve(0);
        for (int i = 0; i < truth.Length; i++) Numerics.Close(truth[i], w[i], 1e-9, 1e-10, $"W[{i}]");
    }

    [Fact]
    public void RidgeShrinksAsTheClosedFormSays()
    {
        // One feature: w = Σzy / (Σz² + λ).
        var ridge = new RidgeRegression(1, 1);
        double zy = 0, zz = 0;
        foreach (var (z, y) in new[] { (1.0, 2.0), (2.0, 3.5), (-1.5, -3.0) })
        {
            ridge.Add([z], [y]);
            zy += z * y; zz += z * z;
        }
        Numerics.Close(zy / (zz + 0.7), ridge.Solve(0.7)[0], 1e-12, 0, "w");
        Assert.Throws<SettingException>(() => new RidgeRegression(2, 1).Solve(0)); // singular without a penalty: raise the ridge
    }
}
