using Carousel.Losses;

namespace Carousel.Tests.Golden;

/// <summary>
/// Softmax cross-entropy with label smoothing against PyTorch's F.cross_entropy(label_smoothing=ε, ignore_index=−1)
/// in float64 (fixtures/golden/cross_entropy_label_smoothing.safetensors, made by make_cross_entropy_golden.py):
/// the mean loss and its gradient with respect to the logits, for ε = 0, 0.1 and 0.25.
/// </summary>
public class GoldenCrossEntropyTests
{
    [Theory]
    [InlineData("0", 0f)]
    [InlineData("0.1", 0.1f)]
    [InlineData("0.25", 0.25f)]
    public void LossAndGradientMatchPyTorch(string name, float smoothing)
    {
        var file = GoldenFiles.Open("cross_entropy_label_smoothing.safetensors");
        int N = file.Int("N"), V = file.Int("V");
        var logits = new float[N * V];
        file["logits"].CopyTo(logits);
        var targets = file["targets"].ToInt64s().Select(t => (int)t).ToArray();
        var gradient = new float[N * V];
        var (loss, count) = SoftmaxCrossEntropy.Compute(logits, targets, V, gradient, smoothing);
        Assert.Equal(targets.Count(t => t >= 0), count);
        Numerics.Close(file[$"loss_{name}"].ToDoubles()[0], loss, 1e-6, 1e-7, $"loss (ε = {name})");
        GoldenFiles.AssertClose(file[$"grad_{name}"], gradient, $"gradient (ε = {name})", rtol: 1e-5, atol: 1e-7);
    }

    [Fact]
    public void SmoothingOutsideZeroToOneIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Compute(new float[4], [1, 0], 2, new float[4], 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Compute(new float[4], [1, 0], 2, new float[4], -0.1f));
    }
}
