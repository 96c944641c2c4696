using System.Text.Json;
using Carousel.Experiments.Tasks;

namespace Carousel.Tests.Cli;

[Collection(CliCollection.Name)]
public class TaskCommandTests
{
    [Fact]
    public void TaskListNamesEveryTaskWithItsCriterion()
    {
        var (code, output, error) = CliRunner.Run("task", "list");

        Assert.True(code == 0, error);
        foreach (string name in TaskCatalog.Names) Assert.Contains(name, output);
        Assert.Contains("at most 3 wrong of 2,560", output);
        Assert.Contains("|output − target| < 0.04", output);
    }

    [Fact]
    public void TaskShowPrintsTheRequestedSequencesWithTheirTargets()
    {
        var (code, output, error) = CliRunner.Run("task", "show", "adding", "--length", "30", "--count", "4", "--seed", "3");

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Count(l => l.Contains("→  target")));
        Assert.All(lines.Where(l => l.Contains("→  target")), l => Assert.Equal(2, l.Split("X at step").Length - 1));

        var (reberCode, reber, _) = CliRunner.Run("task", "show", "reber", "--count", "1");
        Assert.Equal(0, reberCode);
        Assert.Matches(@"1\. B[TP]B\S*  →  legal next: \{TP\}", reber);
    }

    [Fact]
    public void TaskTrainOnATinyBudgetReportsNotSolvedAsJsonAndFails()
    {
        var (code, output, error) = CliRunner.Run("task", "train", "adding", "--length", "22", "--cell", "gru", "--hidden", "4",
            "--batch", "8", "--max-sequences", "24", "--threads", "1", "--json");

        Assert.True(code == 1, $"exit {code}: {error}");
        using var doc = JsonDocument.Parse(output.Trim());
        var root = doc.RootElement;
        Assert.False(root.GetProperty("solved").GetBoolean());
        Assert.Equal(24, root.GetProperty("sequences").GetInt64());
        Assert.Equal(3, root.GetProperty("steps").GetInt64());
        Assert.Equal("gru", root.GetProperty("cell").GetString());
        Assert.Equal("chrono", root.GetProperty("init").GetString());
        Assert.True(root.GetProperty("test_wrong").GetInt32() > 3);
    }

    [Fact]
    public void TaskTrainTrainsANarxNetworkAndNamesItsDelays()
    {
        var (code, output, error) = CliRunner.Run("task", "train", "latch", "--length", "4", "--cell", "narx", "--input-delays", "1", "--hidden", "3",
            "--batch", "8", "--max-sequences", "16", "--threads", "1", "--json");

        Assert.True(code is 0 or 1, $"exit {code}: {error}");
        using var doc = JsonDocument.Parse(output.Trim());
        var root = doc.RootElement;
        Assert.Equal("narx", root.GetProperty("cell").GetString());
        Assert.Equal(1, root.GetProperty("input_delays").GetInt32());
        Assert.Equal(NarxSettings.DefaultOutputDelays, root.GetProperty("output_delays").GetInt32());
        // weight_ih [2·3, 1], weight_oh [6·3, 1], bias_h [3], output [1, 3] + [1]
        Assert.Equal(6 + 3 * NarxSettings.DefaultOutputDelays + 3 + 4, root.GetProperty("parameters").GetInt32());
        Assert.Equal(2, root.GetProperty("steps").GetInt64());
    }

    [Theory]
    [InlineData("for other delays use --cell narx", "latch", "--cell", "jordan", "--output-delays", "2")]
    [InlineData("belong to --cell narx or jordan", "latch", "--cell", "lstm", "--input-delays", "2")]
    [InlineData("--teacher-forcing has nothing to feed back", "adding", "--cell", "jordan", "--teacher-forcing")]
    [InlineData("--layers must be 1", "latch", "--cell", "narx", "--layers", "2")]
    public void TaskTrainRefusesNarxOptionsThatDoNotApply(string message, params string[] args)
    {
        var (code, _, error) = CliRunner.Run(["task", "train", .. args, "--max-sequences", "8", "--threads", "1"]);

        Assert.Equal(2, code);
        Assert.StartsWith("error:", error.Trim());
        Assert.Contains(message, error);
    }

    [Fact]
    public void TaskTrainSolvesASmallAnBnCnAndExitsZero()
    {
        // n = 1..3: an 8-unit LSTM predicts every legal next set after a few thousand strings (under a second).
        var (code, output, error) = CliRunner.Run("task", "train", "anbncn", "--length", "3", "--hidden", "8", "--batch", "16",
            "--max-sequences", "30000", "--eval-every", "25", "--threads", "1", "--json");

        Assert.True(code == 0, $"exit {code}: {output} {error}");
        using var doc = JsonDocument.Parse(output.Trim());
        Assert.True(doc.RootElement.GetProperty("solved").GetBoolean());
        Assert.Equal(0, doc.RootElement.GetProperty("test_wrong").GetInt32());
        Assert.Equal(3, doc.RootElement.GetProperty("test_checked").GetInt32()); // n = 1, 2, 3
        Assert.True(doc.RootElement.GetProperty("sequences").GetInt64() < 30000);
    }

    [Fact]
    public void LongLagPrintsATableAndWritesTheRows()
    {
        using var dir = new TempDirectory();
        string csv = dir.File("table.csv"), json = dir.File("table.json");
        var (code, output, error) = CliRunner.Run("longlag", "--cells", "rnn,lstm", "--lengths", "22,30", "--hidden", "4", "--batch", "8",
            "--max-sequences", "16", "--threads", "1", "--out", csv);

        Assert.True(code == 0, error);
        Assert.Contains("| cell | T | solved | training sequences |", output);
        Assert.Contains("| rnn | 22 | no | 16 |", output);
        Assert.Contains("| lstm | 30 | – |", output); // skipped after failing at 22
        var lines = File.ReadAllLines(csv);
        Assert.Equal("cell,length,solved,skipped,sequences,steps,test_wrong,test_checked,train_loss,seconds,note", lines[0]);
        Assert.Equal(5, lines.Length);
        Assert.StartsWith("rnn,22,false,false,16,2,", lines[1]);
        Assert.StartsWith("lstm,30,false,true,0,0,", lines[4]);

        var (jsonCode, _, jsonError) = CliRunner.Run("longlag", "--cells", "gru", "--lengths", "22", "--hidden", "4", "--batch", "8",
            "--max-sequences", "8", "--threads", "1", "--out", json);
        Assert.True(jsonCode == 0, jsonError);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.Equal("gru", doc.RootElement[0].GetProperty("cell").GetString());
        Assert.Equal(22, doc.RootElement[0].GetProperty("length").GetInt32());
    }

    [Theory]
    [InlineData("Unknown task 'sorting'", "task", "train", "sorting")]
    [InlineData("Unknown task 'sorting'", "task", "show", "sorting")]
    [InlineData("--length must be at least 22", "task", "train", "adding", "--length", "10")]
    [InlineData("has no length parameter", "task", "show", "temporal-order", "--length", "50")]
    [InlineData("--learner rtrl: it supports the tanh RNN and the LSTM, not gru", "task", "train", "adding", "--learner", "rtrl", "--cell", "gru", "--hidden", "8")]
    [InlineData("--learner rtrl: it needs one layer, not 2", "task", "train", "reber", "--learner", "rtrl", "--layers", "2", "--hidden", "8")]
    [InlineData("above its limit of 64", "task", "train", "adding", "--learner", "rtrl", "--hidden", "65")]
    [InlineData("--update-every needs --learner rtrl", "task", "train", "reber", "--update-every", "1")]
    [InlineData("--update-every must be ≥ 0", "task", "train", "reber", "--learner", "rtrl", "--hidden", "8", "--update-every", "-1")]
    [InlineData("--learner rtrl: it supports the tanh RNN and the LSTM, not gru", "longlag", "--cells", "lstm,gru", "--learner", "rtrl", "--hidden", "8")]
    [InlineData("Unknown --learner 'magic'", "task", "train", "adding", "--learner", "magic")]
    [InlineData("Unknown --init 'zero'", "task", "train", "adding", "--init", "zero")]
    [InlineData("Unknown cell", "task", "train", "adding", "--cell", "transformer")]
    [InlineData("Unknown --optimizer 'lbfgs'", "task", "train", "adding", "--optimizer", "lbfgs")]
    [InlineData("--max-sequences must be positive", "task", "train", "adding", "--max-sequences", "0")]
    [InlineData("--count must be positive", "task", "show", "adding", "--count", "0")]
    [InlineData("--lengths must be at least 22", "longlag", "--lengths", "50,10")]
    [InlineData("not a whole number", "longlag", "--lengths", "50,x")]
    [InlineData("Unknown cell", "longlag", "--cells", "lstm,cnn")]
    [InlineData("has no length to vary", "longlag", "--task", "reber")]
    [InlineData("--max-minutes must be ≥ 0", "longlag", "--max-minutes", "-1")]
    public void BadOptionsAreRefusedClearly(string message, params string[] args)
    {
        var (code, output, error) = CliRunner.Run(args);

        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
        Assert.StartsWith("error: ", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.DoesNotContain("step", output); // refused before any training
    }

    [Fact]
    public void TaskTrainWithTheRtrlLearnerRunsOnlineAndReports()
    {
        var (code, output, error) = CliRunner.Run("task", "train", "reber", "--learner", "rtrl", "--update-every", "1", "--hidden", "4",
            "--batch", "2", "--max-sequences", "6", "--threads", "1", "--json");

        Assert.True(code == 1, $"exit {code}: {error}"); // not solved on 6 strings
        using var doc = JsonDocument.Parse(output.Trim());
        var root = doc.RootElement;
        Assert.Equal("rtrl", root.GetProperty("learner").GetString());
        Assert.Equal(1, root.GetProperty("update_every").GetInt32());
        Assert.Equal(6, root.GetProperty("sequences").GetInt64());
        Assert.True(root.GetProperty("train_loss").GetDouble() > 0);

        var (batchCode, text, batchError) = CliRunner.Run("task", "train", "adding", "--length", "22", "--learner", "rtrl", "--cell", "rnn",
            "--hidden", "17", "--batch", "4", "--max-sequences", "8", "--threads", "1");
        Assert.True(batchCode == 1, batchError);
        Assert.StartsWith("warning: --learner rtrl costs O(H⁴) per step: rnn with 17 units does 103,173 multiply-adds per step", batchError);
        Assert.Contains("rnn 1×17", text);
        Assert.Contains(", rtrl, at most 8 sequences", text);
        Assert.Contains("Not solved after 8 training sequences (2 steps)", text);
    }
}
