namespace Carousel.Tests.Cli;

[Collection(CliCollection.Name)]
public class OtherCommandTests
{
    [Theory]
    [InlineData("--hidden must be positive", "demo", "--hidden", "0")]
    [InlineData("--max-steps must be positive", "demo", "--max-steps", "-1")]
    [InlineData("--hidden must be positive", "bench", "--hidden", "-4")]
    [InlineData("Unknown cell", "bench", "--cell", "lstmx")]
    [InlineData("--threads must be positive", "bench", "--threads", "0")]
    public void ImpossibleOptionsAreRefusedClearly(string message, params string[] args)
    {
        var (code, _, error) = CliRunner.Run(args);
        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public void BenchPrintsOneJsonLineWithTheFiguresToCompare()
    {
        var (code, output, error) = CliRunner.Run("bench", "--hidden", "8", "--layers", "1", "--batch", "2", "--seq", "4",
            "--steps", "2", "--sample", "5", "--threads", "1", "--json", "--infer");
        Assert.True(code == 0, error);
        using var doc = System.Text.Json.JsonDocument.Parse(output.Trim());
        foreach (var key in new[] { "train_tokens_per_s", "sample_tokens_per_s", "infer_tokens_per_s", "peak_memory_mb" })
            Assert.True(doc.RootElement.GetProperty(key).GetDouble() > 0, key);
    }
}
