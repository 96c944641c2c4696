using System.Runtime.Intrinsics;
using Carousel.Layers.Recurrent;

namespace Carousel.Tests.Layers;

/// <summary>The fused cell rows' float exp, σ and tanh against double, and the LSTM row they make against its formula.</summary>
public class GateMathTests
{
    // Inputs spread over the range gates see, dense near 0 where tanh's relative error is hardest to keep.
    private static IEnumerable<float> Sweep()
    {
        for (int k = -200_000; k <= 200_000; k++) yield return (float)Math.Sinh(k * 1e-4 * 3.0);   // ±1e-4 steps near 0, up to ±202
        yield return float.Epsilon; yield return -1e-30f; yield return 1e-7f;
    }

    private static float[] Apply(Func<Vector512<float>, Vector512<float>> f, float[] x)
    {
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i += 16)
        {
            var block = new float[16];
            Array.Copy(x, i, block, 0, Math.Min(16, x.Length - i));
            var r = f(Vector512.Create(block));
            for (int j = 0; j < 16 && i + j < x.Length; j++) y[i + j] = r.GetElement(j);
        }
        return y;
    }

    [Fact]
    public void SigmoidAndTanhAreWithinTwoUlpRelativeEverywhere()
    {
        if (!GateMath.IsAccelerated) return; // the kernels keep TensorPrimitives on this CPU; nothing of GateMath runs
        var x = Sweep().ToArray();
        var sigmoid = Apply(GateMath.Sigmoid, x);
        var tanh = Apply(GateMath.Tanh, x);
        double worstSigmoid = 0, worstTanh = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double s = 1 / (1 + Math.Exp(-(double)x[i])), t = Math.Tanh(x[i]);
            if (s > 1e-37) worstSigmoid = Math.Max(worstSigmoid, Math.Abs(sigmoid[i] - s) / s);   // below: e^88 stands in for overflow
            else Assert.True(sigmoid[i] >= 0 && sigmoid[i] < 1e-37, $"σ({x[i]}) = {sigmoid[i]}");
            if (t != 0) worstTanh = Math.Max(worstTanh, Math.Abs(tanh[i] - t) / Math.Abs(t));
            else Assert.Equal(0f, tanh[i]);
        }
        Assert.True(worstSigmoid < 2.4e-7, $"σ relative error {worstSigmoid:E2}");
        Assert.True(worstTanh < 2.4e-7, $"tanh relative error {worstTanh:E2}");
    }

    [Fact]
    public void ExpIsWithinTwoUlpAndSpecialValuesBehave()
    {
        if (!GateMath.IsAccelerated) return;
        var x = Enumerable.Range(-8700, 17500).Select(k => k * 0.01f).ToArray();   // −87 … 88
        var y = Apply(GateMath.Exp, x);
        for (int i = 0; i < x.Length; i++)
        {
            double e = Math.Exp(x[i]);
            Assert.True(Math.Abs(y[i] - e) / e < 2.4e-7, $"exp({x[i]}) = {y[i]}, not {e}");
        }
        var special = Apply(GateMath.Tanh, [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f]);
        Assert.True(float.IsNaN(special[0]));
        Assert.Equal([1f, -1f], special[1..3]);
        Assert.True(special[3] == 0 && float.IsNegative(special[3]));
        var sig = Apply(GateMath.Sigmoid, [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f]);
        Assert.True(float.IsNaN(sig[0]));
        Assert.Equal(1f, sig[1]);
        Assert.True(sig[2] >= 0 && sig[2] < 1e-37);
        Assert.Equal(0.5f, sig[3]);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(19)]   // one whole block and a padded tail of 3
    [InlineData(5)]    // the tail alone
    public void LstmRowMatchesItsFormulaInDoubleAndCachesTheGates(int n)
    {
        var rng = new Random(n);
        float[] Random(int count, double scale) => Uniform(rng, count, scale);
        float[] pre = Random(4 * n, 3), rec = Random(4 * n, 2), hPrev = Random(n, 1), cPrev = Random(n, 2);
        float[] cache = new float[5 * n], h = new float[n], c = new float[n];
        LstmKernel.Instance.ForwardRow(n, pre, rec, hPrev, cPrev, default, cache, h, c);
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (int j = 0; j < n; j++)
        {
            double i = Sigmoid((double)pre[j] + rec[j]), f = Sigmoid((double)pre[n + j] + rec[n + j]);
            double g = Math.Tanh((double)pre[2 * n + j] + rec[2 * n + j]), o = Sigmoid((double)pre[3 * n + j] + rec[3 * n + j]);
            double cj = f * cPrev[j] + i * g, hj = o * Math.Tanh(cj);
            Assert.Equal(cj, c[j], 1e-6);
            Assert.Equal(hj, h[j], 1e-6);
            Assert.Equal(new[] { i, f, g, o, Math.Tanh(cj) }, new[] { cache[j], cache[n + j], cache[2 * n + j], cache[3 * n + j], cache[4 * n + j] }.Select(v => (double)v),
                new ToleranceComparer(1e-6));
        }
        if (n > 16)
        {
            // the tail's units give the same bits as the same values inside a whole block of a wider row
            int tail = n % 16, first = n - tail, wide = 16;
            float[] wPre = new float[4 * wide], wRec = new float[4 * wide], wCPrev = new float[wide];
            for (int k = 0; k < 4; k++)
            {
                Array.Copy(pre, k * n + first, wPre, k * wide, tail);
                Array.Copy(rec, k * n + first, wRec, k * wide, tail);
            }
            Array.Copy(cPrev, first, wCPrev, 0, tail);
            float[] wCache = new float[5 * wide], wH = new float[wide], wC = new float[wide];
            LstmKernel.Instance.ForwardRow(wide, wPre, wRec, new float[wide], wCPrev, default, wCache, wH, wC);
            Assert.Equal(h[first..], wH[..tail]);
            Assert.Equal(c[first..], wC[..tail]);
        }
    }

    [Theory]
    [InlineData(48)]
    [InlineData(21)]   // one whole block and a padded tail of 5
    [InlineData(7)]    // the tail alone
    public void GruRowMatchesItsFormulaInDoubleAndCachesTheGates(int n)
    {
        var rng = new Random(n);
        float[] Random(int count, double scale) => Uniform(rng, count, scale);
        float[] pre = Random(3 * n, 3), rec = Random(3 * n, 2), hPrev = Random(n, 1);
        float[] cache = new float[4 * n], h = new float[n];
        GruKernel.Instance.ForwardRow(n, pre, rec, hPrev, default, default, cache, h, default);
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        for (int j = 0; j < n; j++)
        {
            double r = Sigmoid((double)pre[j] + rec[j]), z = Sigmoid((double)pre[n + j] + rec[n + j]);
            double candidate = Math.Tanh(pre[2 * n + j] + r * rec[2 * n + j]);
            double hj = (1 - z) * candidate + z * hPrev[j];
            Assert.Equal(hj, h[j], 1e-6);
            Assert.Equal(new[] { r, z, candidate, rec[2 * n + j] }, new[] { cache[j], cache[n + j], cache[2 * n + j], cache[3 * n + j] }.Select(v => (double)v),
                new ToleranceComparer(1e-6));
        }
    }

    // count values drawn uniformly from [−scale, scale)
    private static float[] Uniform(Random rng, int count, double scale) =>
        Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(double value) => 0;
    }
}
