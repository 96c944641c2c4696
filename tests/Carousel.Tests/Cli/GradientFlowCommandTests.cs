using System.Xml.Linq;

namespace Carousel.Tests.Cli;

[Collection(CliCollection.Name)]
public class GradientFlowCommandTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void GradientFlowWritesTheCsvAndAChartWithOneLinePerCellAndPhase()
    {
        using var dir = new TempDirectory();
        var (code, output, error) = CliRunner.Run("gradient-flow", "--cells", "rnn, gru", "--length", "22", "--hidden", "4", "--train-steps", "3",
            "--batch-size", "4", "--measure-batch", "4", "--out", dir.Path);

        Assert.True(code == 0, error);
        Assert.Equal(["gradient-flow.csv", "gradient-flow.svg"], dir.FileNames());
        var rows = File.ReadAllLines(dir.File("gradient-flow.csv"));
        Assert.Equal(1 + 2 * 2 * 22, rows.Length);
        Assert.Equal(["rnn,init", "rnn,trained", "gru,init", "gru,trained"], rows.Skip(1).Select(r => string.Join(',', r.Split(',')[1..3])).Distinct());
        var paths = XDocument.Load(dir.File("gradient-flow.svg")).Descendants(Svg + "path").Where(p => (string?)p.Attribute("class") == "series");
        Assert.Equal(["rnn, init", "rnn, trained", "gru, init", "gru, trained"], paths.Select(p => (string)p.Attribute("data-name")!));
        Assert.Contains("| gru | trained |", output);
        Assert.Contains("gradient-flow.svg", output);
    }

    [Fact]
    public void ExplodingWritesTheCsvAndTwoCharts()
    {
        using var dir = new TempDirectory();
        var (code, output, error) = CliRunner.Run("exploding", "--length", "22", "--hidden", "4", "--train-steps", "5", "--batch-size", "4", "--out", dir.Path);

        Assert.True(code == 0, error);
        Assert.Equal(["exploding-gradient-norm.svg", "exploding-loss.svg", "exploding.csv"], dir.FileNames());
        var rows = File.ReadAllLines(dir.File("exploding.csv"));
        Assert.Equal("step,run,loss,gradient_norm", rows[0]);
        Assert.Equal(1 + 2 * 5, rows.Length);
        foreach (var chart in new[] { "exploding-loss.svg", "exploding-gradient-norm.svg" })
            Assert.Equal(2, XDocument.Load(dir.File(chart)).Descendants(Svg + "path").Count(p => (string?)p.Attribute("class") == "series"));
        Assert.Contains("| no clipping |", output);
        Assert.Contains("spectral radius", output);
    }

    [Fact]
    public void DemoRunsBothPartsAndFailsWhenTheBudgetIsTooSmallToLearn()
    {
        using var dir = new TempDirectory();
        var (code, output, _) = CliRunner.Run("demo", "--max-steps", "20", "--trial-steps", "20", "--adding-length", "22", "--adding-steps", "5", "--out", dir.Path);

        Assert.Equal(1, code); // neither the grammar nor the adding problem is learned in so few batches
        Assert.Contains("Not learned", output);
        Assert.Contains("| rnn | trained |", output);
        Assert.Contains("| lstm | trained |", output);
        Assert.Contains("The LSTM did not solve", output);
        Assert.Contains(dir.File("gradient-flow.svg"), output);
        Assert.Equal(["gradient-flow.csv", "gradient-flow.svg"], dir.FileNames());
    }

    [Theory]
    [InlineData("Unknown cell", "gradient-flow", "--cells", "rnn,lstmx")]
    [InlineData("names a cell twice", "gradient-flow", "--cells", "lstm,lstm")]
    [InlineData("--cells names no cell", "gradient-flow", "--cells", " , ")]
    [InlineData("--length (the adding problem's T) must be ≥ 22, got 10.", "gradient-flow", "--length", "10")]
    [InlineData("--train-steps must be ≥ 0, got -1.", "gradient-flow", "--train-steps", "-1")]
    [InlineData("--hidden must be positive, got 0.", "gradient-flow", "--hidden", "0")]
    [InlineData("--lr must be positive, got 0.", "gradient-flow", "--lr", "0")]
    [InlineData("--measure-batch must be positive, got 0.", "gradient-flow", "--measure-batch", "0")]
    [InlineData("--threads must be positive", "gradient-flow", "--threads", "0")]
    [InlineData("--gain must be positive, got -3.", "exploding", "--gain", "-3")]
    [InlineData("--grad-clip must be positive, got 0.", "exploding", "--grad-clip", "0")]
    [InlineData("--train-steps must be positive, got 0.", "exploding", "--train-steps", "0")]
    [InlineData("Unknown cell", "exploding", "--cell", "elman")]
    [InlineData("--adding-steps must be positive", "demo", "--adding-steps", "0")]
    [InlineData("--adding-length (the adding problem's T) must be ≥ 22, got 3.", "demo", "--adding-length", "3")]
    public void ImpossibleOptionsAreRefusedClearly(string message, params string[] args)
    {
        using var dir = new TempDirectory();
        var (code, output, error) = CliRunner.Run([.. args, "--out", dir.Path]);
        Assert.NotEqual(0, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Empty(dir.FileNames()); // refused before anything was written
    }

    [Theory]
    [InlineData("gradient-flow", "--length", "22", "--hidden", "4", "--train-steps", "0", "--measure-batch", "2")]
    [InlineData("exploding", "--length", "22", "--hidden", "4", "--train-steps", "1")]
    [InlineData("demo", "--max-steps", "1")]
    public void AnOutputPathThatIsAFileIsRefusedBeforeTraining(params string[] args)
    {
        using var dir = new TempDirectory();
        string file = dir.Write("taken", "x");
        var (code, output, error) = CliRunner.Run([.. args, "--out", file]);
        Assert.NotEqual(0, code);
        Assert.StartsWith("error: ", error);
        Assert.DoesNotContain("step", output);
        Assert.Equal("x", File.ReadAllText(file));
    }
}
