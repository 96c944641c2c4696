using Carousel.IO;
using Carousel.Losses;

namespace Carousel.Tests.Golden;

/// <summary>
/// CTC cases (ctc_*, kind "ctc"): PyTorch's F.ctc_loss in float64 — per-sequence losses, 'mean' and 'sum', the
/// gradient of the sum with respect to the log-probabilities and, through the log-softmax, to the logits — compared
/// at a float32 tolerance.
/// </summary>
public class GoldenCtcTests
{
    public static TheoryData<string> CtcCases() => GoldenFiles.Cases(GoldenFiles.IsCtcCase);

    [Fact]
    public void TheCasesCoverRepeatsLongSequencesAndInfeasibleOnes()
    {
        var names = GoldenFiles.All().Where(n => GoldenFiles.IsCtcCase(GoldenFiles.Open(n))).ToList();
        Assert.Contains("ctc_repeats.safetensors", names);
        Assert.Contains("ctc_long.safetensors", names);
        Assert.Contains("ctc_zero_infinity.safetensors", names);
    }

    private sealed record Case(int T, int B, int C, int[][] Targets, int[] InputLengths, bool ZeroInfinity);

    private static Case Read(SafeTensorsFile file)
    {
        int T = file.Int("T"), B = file.Int("B"), C = file.Int("C"), S = file.Int("S");
        var padded = file["targets"].ToInt64s();
        var targetLengths = file["target_lengths"].ToInt64s();
        var targets = new int[B][];
        for (int b = 0; b < B; b++) targets[b] = [.. padded.Skip(b * S).Take((int)targetLengths[b]).Select(v => (int)v)];
        var inputLengths = file["input_lengths"].ToInt64s().Select(v => (int)v).ToArray();
        bool zeroInfinity = string.Equals(file.Metadata["zero_infinity"], "true", StringComparison.OrdinalIgnoreCase);
        return new Case(T, B, C, targets, inputLengths, zeroInfinity);
    }

    [Theory]
    [MemberData(nameof(CtcCases))]
    public void LossesAndGradientOfTheLogProbabilitiesMatchPyTorch(string fileName)
    {
        var file = GoldenFiles.Open(fileName);
        var c = Read(file);
        var logProbs = file["log_probs"].ToTensor().Data;
        var gradient = new float[logProbs.Length];

        var none = CtcLoss.Compute(logProbs, c.T, c.B, c.C, c.Targets, c.InputLengths, gradient, CtcReduction.Sum, c.ZeroInfinity);
        GoldenFiles.AssertClose(file["loss_none"], [.. none.PerSequence.Select(v => (float)v)], $"{fileName} loss_none");
        Numerics.Close(file["loss_sum"].ToDoubles()[0], none.Loss, 1e-5, 1e-6, $"{fileName} loss_sum");
        GoldenFiles.AssertClose(file["grad_log_probs"], gradient, $"{fileName} grad_log_probs");

        var mean = CtcLoss.Compute(logProbs, c.T, c.B, c.C, c.Targets, c.InputLengths, default, CtcReduction.Mean, c.ZeroInfinity);
        Numerics.Close(file["loss_mean"].ToDoubles()[0], mean.Loss, 1e-5, 1e-6, $"{fileName} loss_mean");
    }

    [Theory]
    [MemberData(nameof(CtcCases))]
    public void GradientOfTheLogitsThroughTheLogSoftmaxMatchesPyTorch(string fileName)
    {
        var file = GoldenFiles.Open(fileName);
        var c = Read(file);
        var logits = file["logits"].ToTensor().Data;
        var logProbs = new float[logits.Length];
        LogSoftmax.Forward(logits, c.C, logProbs);
        GoldenFiles.AssertClose(file["log_probs"], logProbs, $"{fileName} log_probs");

        var gradient = new float[logits.Length];
        CtcLoss.Compute(logProbs, c.T, c.B, c.C, c.Targets, c.InputLengths, gradient, CtcReduction.Sum, c.ZeroInfinity);
        LogSoftmax.Backward(logProbs, gradient, c.C, gradient);
        GoldenFiles.AssertClose(file["grad_logits"], gradient, $"{fileName} grad_logits");
    }
}
