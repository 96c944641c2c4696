using Carousel.Layers;
using Carousel.Tensors;

namespace Carousel.Tests.Layers;

public class VariationalDropoutTests
{
    /// <summary>With a period of B·F, values [T, B, F] get one mask for every step; backward scales by that same mask.</summary>
    [Fact]
    public void OneMaskRepeatsOverTheStepsForwardAndBackward()
    {
        const int T = 5, period = 40;
        var dropout = new Dropout(0.5f, new Rng(3));
        var values = Enumerable.Repeat(1f, T * period).ToArray();
        dropout.Forward(values, period);
        var first = values.AsSpan(0, period).ToArray();
        Assert.Contains(first, v => v == 0f);
        Assert.Contains(first, v => v == 2f);
        for (int t = 1; t < T; t++) Assert.Equal(first, values.AsSpan(t * period, period).ToArray());

        var gradients = Enumerable.Range(0, T * period).Select(i => (float)(i + 1)).ToArray();
        dropout.Backward(gradients);
        for (int i = 0; i < gradients.Length; i++) Assert.Equal((i + 1) * first[i % period], gradients[i]);

        // the per-step form draws a new mask for each step
        var perStep = Enumerable.Repeat(1f, T * period).ToArray();
        dropout.Forward(perStep);
        Assert.NotEqual(perStep.AsSpan(0, period).ToArray(), perStep.AsSpan(period, period).ToArray());
        Assert.Throws<ArgumentException>(() => dropout.Forward(new float[10], 3));
    }
}
