using System.Text.Json;
using System.Text.RegularExpressions;

namespace Carousel.Tests.Cli;

[Collection(CliCollection.Name)]
public class AnBnCnCommandTests
{
    [Fact]
    public void HelpDescribesEveryOption()
    {
        var (code, output, _) = CliRunner.Run("anbncn", "--help");
        Assert.Equal(0, code);
        Assert.Contains("aⁿbⁿcⁿ", output);
        foreach (var option in new[] { "--cells", "--seed", "--seeds", "--hidden", "--batch", "--lr", "--train-max", "--test-max",
                     "--max-updates", "--evaluate-every", "--extra-updates", "--forget-bias", "--threads", "--json" })
            Assert.Matches(new Regex($@"^\s+{option}( <[\w-]+>)?\s{{2,}}\w", RegexOptions.Multiline), output);   // the option, then its description
        Assert.Contains("lstm-nofg", output);
        Assert.Contains("lstm-peephole", output);
    }

    [Theory]
    [InlineData("not an LSTM variant", "--cells", "lstm,gru")]
    [InlineData("Unknown cell", "--cells", "lstm,lstmx")]
    [InlineData("--cells needs at least one cell", "--cells", " , ")]
    [InlineData("--test-max (5) must be at least --train-max (10)", "--test-max", "5")]
    [InlineData("--seeds must be positive", "--seeds", "0")]
    [InlineData("--hidden must be positive", "--hidden", "0")]
    [InlineData("--lr must be positive", "--lr", "0")]
    [InlineData("--extra-updates must not be negative", "--extra-updates", "-1")]
    [InlineData("--threads must be positive", "--threads", "0")]
    public void ImpossibleOptionsGiveOneClearError(string message, params string[] args)
    {
        var (code, output, error) = CliRunner.Run(["anbncn", .. args]);
        Assert.NotEqual(0, code);
        Assert.StartsWith("error: ", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(message, error);
        Assert.DoesNotContain("|", output);   // nothing was run
    }

    [Fact]
    public void JsonListsOneRunPerCellAndSeed()
    {
        var (code, output, error) = CliRunner.Run("anbncn", "--cells", "lstm-peephole,lstm1997", "--seed", "3", "--seeds", "2",
            "--max-updates", "20", "--evaluate-every", "10", "--test-max", "12", "--json");
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output.Trim());
        var runs = doc.RootElement.GetProperty("runs").EnumerateArray().ToArray();
        Assert.Equal(["lstm-peephole", "lstm-peephole", "lstm-nofg", "lstm-nofg"], runs.Select(r => r.GetProperty("cell").GetString()));
        Assert.Equal([3, 4, 3, 4], runs.Select(r => r.GetProperty("seed").GetInt32()));
        foreach (var run in runs)
        {
            Assert.False(run.GetProperty("learned").GetBoolean());   // 20 updates are far too few
            Assert.Equal(20, run.GetProperty("updates_to_learn").GetInt32());
            Assert.InRange(run.GetProperty("generalisation_max").GetInt32(), 0, 9);
        }
        Assert.Equal(12, doc.RootElement.GetProperty("test_max").GetInt32());
    }

    [Fact]
    public void PrintsAMarkdownTablePerRunAndPerCell()
    {
        var (code, output, error) = CliRunner.Run("anbncn", "--seeds", "1", "--max-updates", "10", "--evaluate-every", "10", "--test-max", "10");
        Assert.True(code == 0, error);
        var rows = output.Split('\n').Where(line => line.StartsWith("| lstm")).ToArray();
        Assert.Equal(6, rows.Length);   // three runs, three summaries
        Assert.StartsWith("| lstm-nofg | 1 | no | 10 | 10 |", rows[0]);
        Assert.Equal("| lstm-nofg | 0/1 | – | – | – |", rows[3].TrimEnd());
        Assert.Contains("| learned n ≤ 10 |", output);
    }

    [Fact]
    public void TheSummaryRowAgreesWithTheRunsAboveIt()
    {
        var (code, output, error) = CliRunner.Run("anbncn", "--cells", "lstm-nofg", "--seeds", "2", "--test-max", "30");
        Assert.True(code == 0, error);
        var cells = output.Split('\n').Where(line => line.StartsWith("| lstm-nofg")).Select(line => line.Split('|').Select(c => c.Trim()).ToArray()).ToArray();
        Assert.Equal(3, cells.Length);
        Assert.All(cells[..2], run => Assert.Equal("yes", run[3]));   // both seeds learn n ≤ 10 (in well under the default budget)
        var ranges = cells[..2].Select(run => run[6] == "≥ 30" ? 30 : int.Parse(run[6])).Order().ToArray();
        Assert.Equal(["2/2", ((ranges[0] + ranges[1]) / 2.0).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture),
            ranges[1].ToString(), ranges[0].ToString()], cells[2][2..6]);
    }
}
