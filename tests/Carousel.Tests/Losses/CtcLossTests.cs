using Carousel.Diagnostics;
using Carousel.Losses;
using Carousel.Tensors;

namespace Carousel.Tests.Losses;

public class CtcLossTests
{
    private static float[] RandomLogits(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)(rng.NextDouble() * 4 - 2);
        return values;
    }

    // The mean CTC loss of logits [T, B, C] through the log-softmax, and its gradient with respect to the logits.
    private static double LossOfLogits(float[] logits, int T, int B, int C, int[][] targets, int[] lengths, float[]? gradient, CtcReduction reduction)
    {
        var logProbs = new float[logits.Length];
        LogSoftmax.Forward(logits, C, logProbs);
        var result = CtcLoss.Compute(logProbs, T, B, C, targets, lengths, gradient ?? default, reduction);
        if (gradient is not null) LogSoftmax.Backward(logProbs, gradient, C, gradient);
        return result.Loss;
    }

    [Theory]
    [InlineData(CtcReduction.Mean)]
    [InlineData(CtcReduction.Sum)]
    public void GradientOfTheLogitsEqualsCentralDifferences(CtcReduction reduction)
    {
        const int T = 7, B = 3, C = 4;
        int[][] targets = [[1, 2, 2], [3], []]; // a repeat, one label, an empty target
        int[] lengths = [7, 5, 3];
        var logits = RandomLogits(T * B * C, 5);
        var gradient = new float[logits.Length];
        LossOfLogits(logits, T, B, C, targets, lengths, gradient, reduction);
        var (worst, index, numeric, analytic) = GradientCheck.Compare(
            () => LossOfLogits(logits, T, B, C, targets, lengths, null, reduction), logits, gradient, 1e-2f, 2e-4, 2e-2);
        Assert.True(worst <= 1, $"logit {index}: numeric {numeric}, analytic {analytic}");
        Assert.Contains(gradient, g => Math.Abs(g) > 1e-2); // not vacuous
    }

    [Fact]
    public void MeanIsTheBatchMeanOfLossPerTargetLength()
    {
        const int T = 6, B = 2, C = 3;
        int[][] targets = [[1, 2], [2, 1, 2]];
        int[] lengths = [6, 6];
        var logProbs = RandomLogits(T * B * C, 9);
        LogSoftmax.Forward(logProbs, C, logProbs);
        var none = CtcLoss.Compute(logProbs, T, B, C, targets, lengths, default, CtcReduction.None);
        var mean = CtcLoss.Compute(logProbs, T, B, C, targets, lengths, default, CtcReduction.Mean);
        Numerics.Close((none.PerSequence[0] / 2 + none.PerSequence[1] / 3) / 2, mean.Loss, 1e-12, 0, "mean");
    }

    [Fact]
    public void OneStepPerLabelHasExactlyOneAlignment()
    {
        // T = L and no repeats: the only alignment reads the labels in order, so p = Π p_t(l_t).
        const int T = 3, C = 4;
        var logProbs = RandomLogits(T * C, 3);
        LogSoftmax.Forward(logProbs, C, logProbs);
        int[] target = [2, 1, 3];
        var result = CtcLoss.Compute(logProbs, T, 1, C, [target], [T], default, CtcReduction.Sum);
        double expected = -(logProbs[0 * C + 2] + logProbs[1 * C + 1] + logProbs[2 * C + 3]);
        Numerics.Close(expected, result.Loss, 1e-6, 0, "loss");
    }

    [Fact]
    public void RepeatedLabelsNeedABlankBetween()
    {
        Assert.Equal(6, CtcLoss.MinimumSteps([1, 1, 2, 2])); // 4 labels, 2 repeats
        Assert.Equal(3, CtcLoss.MinimumSteps([1, 2, 1]));
        const int C = 3;
        var logProbs = new float[5 * C];
        LogSoftmax.Forward(logProbs, C, logProbs);
        var gradient = new float[logProbs.Length];
        Assert.True(double.IsPositiveInfinity(CtcLoss.Compute(logProbs, 5, 1, C, [[1, 1, 2, 2]], [5], gradient, CtcReduction.Sum).Loss));
        Assert.All(gradient, g => Assert.Equal(0f, g));
        Assert.Equal(0, CtcLoss.Compute(logProbs, 5, 1, C, [[1, 1, 2, 2]], [5], gradient, CtcReduction.Sum, zeroInfinity: true).Loss);
        Assert.True(double.IsFinite(CtcLoss.Compute(logProbs.Concat(logProbs[..C]).ToArray(), 6, 1, C, [[1, 1, 2, 2]], [6], default, CtcReduction.Sum).Loss));
    }

    [Fact]
    public void StepsPastTheInputLengthGetNoGradient()
    {
        const int T = 5, B = 2, C = 3;
        var logProbs = RandomLogits(T * B * C, 4);
        LogSoftmax.Forward(logProbs, C, logProbs);
        var gradient = new float[logProbs.Length];
        CtcLoss.Compute(logProbs, T, B, C, [[1], [2]], [5, 3], gradient, CtcReduction.Sum);
        for (int t = 3; t < T; t++)
            for (int k = 0; k < C; k++) Assert.Equal(0f, gradient[(t * B + 1) * C + k]);
        Assert.Contains(gradient.AsSpan((2 * B + 1) * C, C).ToArray(), g => g != 0); // its last real step
    }

    [Fact]
    public void LabelsThatAreTheBlankOrOutsideTheClassesAreRefused()
    {
        var logProbs = new float[2 * 3];
        Assert.Throws<ArgumentOutOfRangeException>(() => CtcLoss.Compute(logProbs, 2, 1, 3, [[0]], [2], default));
        Assert.Throws<ArgumentOutOfRangeException>(() => CtcLoss.Compute(logProbs, 2, 1, 3, [[3]], [2], default));
        Assert.Throws<ArgumentOutOfRangeException>(() => CtcLoss.Compute(logProbs, 2, 1, 3, [[1]], [3], default));
    }
}
