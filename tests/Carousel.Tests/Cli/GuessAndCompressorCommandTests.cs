using System.Text.Json;

namespace Carousel.Tests.Cli;

[Collection(CliCollection.Name)]
public class GuessAndCompressorCommandTests
{
    [Fact]
    public void GuessLatchVariantOneReportsTheTrialsOfEverySeedAsJson()
    {
        var (code, output, error) = CliRunner.Run("guess", "latch", "--variant", "1", "--length", "20", "--seeds", "3", "--training-sequences", "10", "--json");

        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output.Trim());
        var root = json.RootElement;
        Assert.Equal("latch-1", root.GetProperty("task").GetString());
        Assert.Equal(3, root.GetProperty("free_weights").GetInt32());
        Assert.Equal(3, root.GetProperty("solved").GetInt32());
        var trials = root.GetProperty("trials").EnumerateArray().Select(t => t.GetInt64()).ToArray();
        Assert.Equal(3, trials.Length);
        Assert.Equal(trials.Average(), root.GetProperty("mean_trials").GetDouble(), 2);
    }

    [Fact]
    public void GuessThatRunsOutOfTrialsFails()
    {
        var (code, output, _) = CliRunner.Run("guess", "adding", "--length", "22", "--max-trials", "5", "--training-sequences", "10");
        Assert.Equal(1, code);
        Assert.Contains("Solved by 0 of 1 seeds within 5 guesses", output);
    }

    public static TheoryData<string[], string> BadOptions() => new()
    {
        { ["guess", "latch", "--variant", "3"], "--variant must be 1 or 2" },
        { ["guess", "parity", "--variant", "1"], "--variant is for the latch problem only" },
        { ["guess", "parity", "--range", "0"], "--range" },
        { ["guess", "parity", "--architecture", "unit"], "--architecture" },
        { ["guess", "parity", "--hidden", "0"], "--hidden" },
        { ["guess", "parity", "--max-trials", "0"], "--max-trials" },
        { ["guess", "parity", "--seeds", "0"], "--seeds" },
        { ["guess", "nonsense"], "Unknown task 'nonsense'" },
        { ["guess", "parity", "--length", "0"], "--length" },
        { ["compressor", "--middle", "0"], "--middle" },
        { ["compressor", "--hidden", "0"], "--hidden" },
        { ["compressor", "--lr", "0"], "--lr" },
        { ["compressor", "--chunker-sequences", "0"], "--chunker-sequences" },
        { ["compressor", "--cell", "nope"], "nope" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOptionsGetOneErrorLine(string[] args, string mentioned)
    {
        var (code, _, error) = CliRunner.Run(args);
        Assert.Equal(2, code);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(mentioned, lines[0]);
    }

    [Fact]
    public void CompressorReportsBothNetsAndTheSymbolsReachingTheChunker()
    {
        var (code, output, error) = CliRunner.Run("compressor", "--middle", "6", "--hidden", "6", "--automatizer-sequences", "300",
            "--chunker-sequences", "300", "--test-sequences", "50", "--json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output.Trim());
        var root = json.RootElement;
        Assert.Equal(8, root.GetProperty("sequence_length").GetInt32());
        Assert.InRange(root.GetProperty("symbols_to_chunker_mean").GetDouble(), 1.0, 8.0);
        Assert.InRange(root.GetProperty("compressor_right_mean").GetDouble(), 0.0, 1.0);
        Assert.InRange(root.GetProperty("single_net_right_mean").GetDouble(), 0.0, 1.0);
    }
}
