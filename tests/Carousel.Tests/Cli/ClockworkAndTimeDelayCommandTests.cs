using System.Text.Json;
using Carousel.Data.Tasks;
using Carousel.Experiments.Tasks;

namespace Carousel.Tests.Cli;

/// <summary>
/// The waveform task and the flags of the clockwork and time-delay stacks: a short clockwork run reports the test
/// normalised MSE and its periods; a flag that does not fit the cell, or malformed periods, is one error line and exit 1.
/// </summary>
public class ClockworkAndTimeDelayCommandTests
{
    [Fact]
    public void WaveformIsDeterministicWithZeroMeanAndUnitVarianceSoItsMseIsTheNormalisedMse()
    {
        var w = Waveform.Generate(320);
        Assert.Equal(w, Waveform.Generate(320));
        Assert.True(Math.Abs(w.Average()) < 1e-5, $"mean {w.Average()}");
        Assert.True(Math.Abs(w.Select(v => (double)v * v).Average() - 1) < 1e-5);
        // Predicting 0 everywhere is an NMSE of 1; the step terms add up to the batch loss.
        var batch = new WaveformBatch(w, 2, 1e-4);
        var outputs = new float[320 * 2];
        var dOutputs = new float[outputs.Length];
        Assert.Equal(1.0, batch.Loss(outputs, dOutputs), 5);
        double sum = 0;
        var d = new float[1];
        for (int t = 0; t < 320; t++)
            for (int b = 0; b < 2; b++)
            {
                Assert.True(batch.TryStepLoss(t, b, outputs.AsSpan(t * 2 + b, 1), d, out double term));
                Assert.Equal(dOutputs[t * 2 + b], d[0]);
                sum += term;
            }
        Assert.Equal(1.0, sum, 5);
    }

    [Fact]
    public void ClockworkTrainsOnTheWaveformAndReportsItsNormalisedMse()
    {
        var (code, output, error) = CliRunner.Run("task", "train", "waveform", "--length", "40", "--cell", "clockwork", "--hidden", "6",
            "--clock-periods", "1,2,4", "--batch", "1", "--max-steps", "30", "--eval-every", "10", "--threads", "1", "--json");
        Assert.True(code is 0 or 1, error);
        var summary = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal("clockwork", summary.GetProperty("cell").GetString());
        Assert.Equal("1,2,4", summary.GetProperty("clock_periods").GetString());
        double nmse = summary.GetProperty("test_nmse").GetDouble();
        Assert.True(nmse > 0 && nmse < 1.5, $"test_nmse {nmse}");
    }

    [Theory]
    [InlineData("--cell", "lstm", "--clock-periods", "1,2", "--clock-periods")]
    [InlineData("--cell", "gru", "--tdnn-context", "2,2", "--tdnn-context")]
    [InlineData("--cell", "clockwork", "--clock-periods", "1,x", "whole numbers")]
    [InlineData("--cell", "clockwork", "--clock-periods", "2,1", "ascending")]
    [InlineData("--cell", "tdnn", "--tdnn-context", "2", "two numbers")]
    [InlineData("--cell", "tdnn", "--tdnn-dilations", "1,2", "one dilation per layer")]
    public void AFlagThatDoesNotFitTheCellIsOneErrorLine(string cellFlag, string cell, string flag, string value, string expected)
    {
        var (code, _, error) = CliRunner.Run("task", "train", "waveform", "--length", "20", cellFlag, cell, "--hidden", "8", flag, value,
            "--max-steps", "1", "--threads", "1");
        Assert.NotEqual(0, code);
        Assert.StartsWith("error:", error.Trim());
        Assert.Contains(expected, error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void TaskListNamesTheWaveform() =>
        Assert.Contains("waveform", TaskCatalog.Names);
}
