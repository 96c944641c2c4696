using Xunit;
using Carousel.Data.Tasks;
using Carousel.Experiments.Tasks;

namespace Carousel.Tests.Experiments;

public class BenchmarkTaskTests
{
    [Theory]
    [InlineData("latch-1", 3, OutputSquash.Tanh)]
    [InlineData("latch", 1, OutputSquash.Tanh)]
    [InlineData("two-sequence", 1, OutputSquash.Logistic)]
    [InlineData("parity", 1, OutputSquash.Logistic)]
    public void CatalogMakesTheBenchmarksWithThePapersTestSet(string name, int inputs, OutputSquash squash)
    {
        var task = TaskCatalog.Create(name, 20, seed: 1);
        Assert.Equal(inputs, task.InputSize);
        Assert.Equal(1, task.OutputSize);
        Assert.Equal(squash, task.OutputSquash);
        Assert.Equal(24, task.LongestSequence);
        Assert.Equal(100, task.TestSequences);
        Assert.Equal(0, task.AllowedWrong);
        Assert.Equal(100, task.TestBatches(64).Sum(b => b.BatchSize));
        Assert.Equal(500, TaskCatalog.Create(name).Length);
    }

    [Fact]
    public void LengthBelowTheSmallestIsASettingError()
    {
        var e = Assert.Throws<SettingException>(() => TaskCatalog.Create("two-sequence", 3));
        Assert.Equal("Length", e.Setting);
    }

    private static LastStepBinaryBatch Batch(OutputSquash squash, float[] targets, float? tolerance) =>
        new(new ParityProblem(4, 1).NextBatch(2), squash, targets, tolerance); // rows: class 0, class 1

    private static float[] Outputs(LastStepBinaryBatch batch, float row0, float row1)
    {
        var outputs = new float[batch.Steps * batch.BatchSize];
        outputs[(batch.Lengths[0] - 1) * 2] = row0;
        outputs[(batch.Lengths[1] - 1) * 2 + 1] = row1;
        return outputs;
    }

    [Fact]
    public void ToleranceCriterionJudgesTheSquashedLastOutput()
    {
        var batch = Batch(OutputSquash.Logistic, [0f, 1f], 0.1f);
        var correct = new bool[2];
        // σ(−2.3) ≈ 0.091 is within 0.1 of 0; σ(−2.1) ≈ 0.109 is not; σ(2.3) ≈ 0.909 is within 0.1 of 1.
        batch.Judge(Outputs(batch, -2.3f, 2.3f), correct);
        Assert.Equal([true, true], correct);
        batch.Judge(Outputs(batch, -2.1f, 2.1f), correct);
        Assert.Equal([false, false], correct);
        batch.Judge(Outputs(batch, 2.3f, -2.3f), correct);
        Assert.Equal([false, false], correct);
    }

    [Fact]
    public void WithoutAToleranceTheSideOfTheMidpointDecides()
    {
        var batch = Batch(OutputSquash.Tanh, [-0.8f, 0.8f], null);
        var correct = new bool[2];
        batch.Judge(Outputs(batch, -0.01f, 0.01f), correct);
        Assert.Equal([true, true], correct);
        batch.Judge(Outputs(batch, 5f, -5f), correct);
        Assert.Equal([false, false], correct);
    }

    [Theory]
    [InlineData(OutputSquash.Tanh)]
    [InlineData(OutputSquash.Logistic)]
    public void LossGradientMatchesCentralDifferences(OutputSquash squash)
    {
        var batch = Batch(squash, squash == OutputSquash.Tanh ? [-0.8f, 0.8f] : [0f, 1f], 0.1f);
        var outputs = Outputs(batch, 0.3f, -0.7f);
        var d = new float[outputs.Length];
        batch.Loss(outputs, d);
        var scratch = new float[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            const float h = 1e-3f;
            float keep = outputs[i];
            outputs[i] = keep + h; double up = batch.Loss(outputs, scratch);
            outputs[i] = keep - h; double down = batch.Loss(outputs, scratch);
            outputs[i] = keep;
            Assert.Equal((up - down) / (2 * h), d[i], 3);
        }
        Assert.Contains(d, g => g != 0);
        // The per-step terms add up to the batch loss.
        double sum = 0;
        var one = new float[1];
        for (int t = 0; t < batch.Steps; t++)
            for (int b = 0; b < 2; b++)
                if (batch.TryStepLoss(t, b, outputs.AsSpan(t * 2 + b, 1), one, out double l)) sum += l;
        Assert.Equal(batch.Loss(outputs, scratch), sum, 6);
    }
}
