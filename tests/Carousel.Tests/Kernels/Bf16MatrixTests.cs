using System.Runtime.Intrinsics.X86;
using Carousel.Kernels;
using Carousel.Tensors;

namespace Carousel.Tests.Kernels;

/// <summary>bfloat16 weights: rounding to nearest (ties to even), and the matrix-vector product on both paths.</summary>
public class Bf16MatrixTests
{
    [Fact]
    public void RoundsToTheNearestBfloat16WithTiesToEven()
    {
        // bfloat16 keeps 8 significant bits: near 1 its step is 2⁻⁷.
        Assert.Equal(1f, Bf16Matrix.RoundTrip(1f + MathF.Pow(2, -9)));                    // below half a step: down
        Assert.Equal(1f + MathF.Pow(2, -7), Bf16Matrix.RoundTrip(1f + 3 * MathF.Pow(2, -9))); // above half: up
        Assert.Equal(1f, Bf16Matrix.RoundTrip(1f + MathF.Pow(2, -8)));                    // a tie: to the even 1
        Assert.Equal(1f + 2 * MathF.Pow(2, -7), Bf16Matrix.RoundTrip(1f + 3 * MathF.Pow(2, -8))); // a tie: to the even neighbour above
        Assert.Equal(-2.5f, Bf16Matrix.RoundTrip(-2.5f));                                  // exact values stay
        Assert.True(float.IsNaN(Bf16Matrix.RoundTrip(float.NaN)));
        Assert.Equal(float.PositiveInfinity, Bf16Matrix.RoundTrip(float.PositiveInfinity));
    }

    public static TheoryData<int, int, bool> Shapes() => new()
    {
        { 32, 16, true }, { 37, 5, true }, { 65, 512, false }, { 1, 1, true }, { 100, 33, false }, { 31, 2, true },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ProductEqualsTheRoundedWeightsTimesTheVector(int n, int k, bool accumulate)
    {
        var rng = new Rng((ulong)(n * 1000 + k));
        var w = new float[n * k];
        var x = new float[k];
        var start = new float[n];
        rng.FillUniform(w, -1, 1);
        rng.FillUniform(x, -1, 1);
        rng.FillUniform(start, -1, 1);
        var matrix = new Bf16Matrix(w, n, k);

        var expected = new double[n];
        for (int j = 0; j < n; j++)
        {
            double sum = accumulate ? start[j] : 0;
            for (int p = 0; p < k; p++) sum += (double)Bf16Matrix.RoundTrip(w[j * k + p]) * x[p];
            expected[j] = sum;
        }
        foreach (bool vectors in Avx512F.IsSupported ? new[] { true, false } : [false])
        {
            var y = (float[])start.Clone();
            matrix.MultiplyVector(x, y, accumulate, vectors);
            for (int j = 0; j < n; j++)
                Numerics.Close(expected[j], y[j], 1e-5, 1e-5, $"y[{j}] ({(vectors ? "AVX-512" : "scalar")})");
        }
    }

    [Fact]
    public void RepackTakesNewWeights()
    {
        var w = new float[3 * 4];
        var matrix = new Bf16Matrix(w, 3, 4);
        w[1 * 4 + 2] = 2f; // W[1, 2]
        matrix.Repack(w);
        var y = new float[3];
        matrix.MultiplyVector([0, 0, 1.5f, 0], y, accumulate: false);
        Assert.Equal([0f, 3f, 0f], y);
    }
}
