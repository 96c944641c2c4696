namespace Carousel.Tests.Cli;

/// <summary>`carousel esn` and `carousel rtrl`: bad options refused clearly, figures printed, files written.</summary>
[Collection(CliCollection.Name)]
public class AlternativeLearningCommandTests
{
    [Theory]
    [InlineData("--units must be 1 to 4096, got 0.", "esn", "mackey-glass", "--units", "0")]
    [InlineData("--leak-rate must be in (0, 1], got 1.5.", "esn", "mackey-glass", "--leak-rate", "1.5")]
    [InlineData("--spectral-radius must be positive, got -1.", "esn", "narma10", "--spectral-radius", "-1")]
    [InlineData("--connectivity must be in (0, 1], got 0.", "esn", "narma10", "--connectivity", "0")]
    [InlineData("--ridge must be a non-negative number, got -1E-05.", "esn", "mackey-glass", "--ridge", "-1e-5")]
    [InlineData("--seeds must be 1 to 1000", "esn", "mackey-glass", "--seeds", "0")]
    [InlineData("--length (400) must exceed --train (500) by at least 3 steps.", "esn", "mackey-glass", "--length", "400", "--train", "500")]
    [InlineData("--washout (600) must be ≥ 0 and shorter than --train (500).", "esn", "mackey-glass", "--washout", "600")]
    [InlineData("--washout must be ≥ 0, got -3.", "esn", "narma10", "--washout", "-3")]
    [InlineData("--test must be positive, got 0.", "esn", "narma10", "--test", "0")]
    [InlineData("--tau must be at least 1", "esn", "mackey-glass", "--tau", "0")]
    [InlineData("RTRL supports the cells lstm and rnn", "rtrl", "reber", "--cell", "gru")]
    [InlineData("--hidden must be positive", "rtrl", "reber", "--hidden", "0")]
    [InlineData("--update-every must be positive", "rtrl", "reber", "--update-every", "0")]
    [InlineData("--hidden takes positive sizes", "rtrl", "cost", "--hidden", "8,x")]
    public void ImpossibleOptionsAreRefusedClearly(string message, params string[] args)
    {
        var (code, output, error) = CliRunner.Run(args);
        Assert.NotEqual(0, code);
        Assert.Contains("error: ", error);
        Assert.Contains(message, error);
        Assert.Equal("", output);
    }

    [Fact]
    public void EsnCsvGoesIntoAMissingDirectoryWithAClearError()
    {
        using var dir = new TempDirectory();
        var (code, _, error) = CliRunner.Run("esn", "narma10", "--units", "20", "--train", "200", "--test", "50", "--csv", dir.File("missing/out.csv"));
        Assert.NotEqual(0, code);
        Assert.StartsWith("error: --csv: the directory of", error);
        Assert.Empty(dir.FileNames());
    }

    [Fact]
    public void EsnMackeyGlassPrintsItsFiguresAsJsonAndWritesTheCsv()
    {
        using var dir = new TempDirectory();
        string csv = dir.File("mg.csv");
        var (code, output, error) = CliRunner.Run("esn", "mackey-glass", "--units", "40", "--length", "700", "--train", "300",
            "--seeds", "2", "--json", "--csv", csv);
        Assert.True(code == 0, error);
        using var doc = System.Text.Json.JsonDocument.Parse(output.Trim());
        var root = doc.RootElement;
        Assert.Equal(2, root.GetProperty("rmse").GetProperty("values").GetArrayLength());
        Assert.InRange(root.GetProperty("r2").GetProperty("mean").GetDouble(), 0.99, 1.0);
        Assert.True(root.GetProperty("nrmse").GetProperty("max").GetDouble() < 0.1);
        Assert.True(root.TryGetProperty("free_run_horizon", out _));

        var lines = File.ReadAllLines(csv);
        Assert.Equal("step,target,teacher_forced,free_run", lines[0]);
        Assert.Equal(1 + (700 - 301), lines.Length);     // one row per free-run step, x[301..699]
        Assert.Equal("301,,,", lines[1][..6]);            // the first free-run step has no teacher-forced prediction
        var last = lines[^1].Split(',');
        Assert.Equal("699", last[0]);
        Assert.True(Math.Abs(double.Parse(last[1], System.Globalization.CultureInfo.InvariantCulture) - double.Parse(last[2], System.Globalization.CultureInfo.InvariantCulture)) < 0.05);
    }

    [Fact]
    public void EsnNarmaWritesTargetAndPredictionPerTestStep()
    {
        using var dir = new TempDirectory();
        string csv = dir.File("narma.csv");
        var (code, output, error) = CliRunner.Run("esn", "narma10", "--units", "30", "--washout", "50", "--train", "400", "--test", "120", "--csv", csv);
        Assert.True(code == 0, error);
        Assert.Contains("nrmse", output);
        var lines = File.ReadAllLines(csv);
        Assert.Equal("step,target,prediction", lines[0]);
        Assert.Equal(121, lines.Length);
        Assert.StartsWith("451,", lines[1]); // the first test target is y(451), produced from u(450)
    }

    [Fact]
    public void RtrlReberPrintsTheFallingLoss()
    {
        var (code, output, error) = CliRunner.Run("rtrl", "reber", "--strings", "300", "--report-every", "100", "--json");
        Assert.True(code == 0, error);
        var lines = output.Trim().Split('\n').Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(3, lines.Length);
        Assert.True(lines[^1].GetProperty("mean_loss").GetDouble() < 0.5 * lines[0].GetProperty("mean_loss").GetDouble());
    }

    [Fact]
    public void HelpDescribesEveryVerb()
    {
        foreach (var verb in new[] { new[] { "esn", "mackey-glass" }, ["esn", "narma10"], ["rtrl", "reber"], ["rtrl", "cost"] })
        {
            var (code, output, _) = CliRunner.Run([.. verb, "--help"]);
            Assert.Equal(0, code);
            var optionLines = output.Split('\n').Where(l => l.StartsWith("  --")).ToArray();
            Assert.True(optionLines.Length >= 4, output);
            // Every option has a description after its name: two columns separated by a run of spaces.
            Assert.All(optionLines, l => Assert.Matches(@"^  --\S+( <[^>]+>)?\s{2,}\S", l));
        }
    }
}
