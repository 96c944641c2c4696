using System.CommandLine;
using Carousel.Cli;
using Carousel.IO;

namespace Carousel.Tests.Cli;

/// <summary>
/// Values no one means but anyone can type — sizes whose products overflow an int, NaN, an empty output path —
/// are user errors like any other: one `error:` line naming the flag, before any work (found by running every
/// option of every command with 0, −1, 2·10⁹, NaN, 10³⁰ and an empty string).
/// </summary>
[Collection(CliCollection.Name)]
public class AbsurdValueTests
{
    [Theory]
    [InlineData("--hidden 2000000000 is too large for one layer", "task", "train", "adding", "--hidden", "2000000000")]
    [InlineData("--hidden 100000 is too large for one layer", "tag", "train", "--truecase", "x.txt", "--out", "run", "--hidden", "100000")]
    [InlineData("--layers 2000000000 is more than an array of layers can hold.", "seq2seq", "train", "--train", "x.tsv", "--dev", "x.tsv", "--out", "run", "--layers", "2000000000")]
    [InlineData("--decoder-layers × --decoder-hidden by 2 × --hidden values", "seq2seq", "train", "--train", "x.tsv", "--dev", "x.tsv", "--out", "run", "--decoder-layers", "2000000000")]
    [InlineData("--batch × --seq (2000000000 × 100) is more tokens per batch than an array can hold.", "bench", "--batch", "2000000000")]
    [InlineData("--batch-size × --seq-length (2000000000 × 100) is more characters per batch than an array can hold.", "train", "--text", "x.txt", "--out", "run", "--batch-size", "2000000000")]
    [InlineData("--epochs must be a number, got NaN.", "tag", "train", "--truecase", "x.txt", "--out", "run", "--steps", "5", "--epochs", "NaN")]
    [InlineData("Give --epochs or --steps, not both", "train", "--text", "x.txt", "--out", "run", "--epochs", "1", "--steps", "5")]
    [InlineData("--out needs a path, got an empty one.", "train", "--text", "x.txt", "--out", "")]
    [InlineData("--out needs a path, got an empty one.", "demo", "--out", " ")]
    [InlineData("--csv needs a path, got an empty one.", "esn", "narma10", "--csv", "")]
    [InlineData("--errors needs a path, got an empty one.", "seq2seq", "eval", "model", "--data", "x.tsv", "--errors", "")]
    public void AbsurdValuesAreUsageErrors(string message, params string[] args)
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "x.txt"), string.Concat(Enumerable.Repeat("Some Text To Learn.\n", 40)));
        File.WriteAllText(Path.Combine(dir.Path, "x.tsv"), string.Concat(Enumerable.Range(0, 40).Select(i => $"ab{i % 7}\tA B\n")));
        string[] inDir = [.. args.Select(a => a is "x.txt" or "x.tsv" or "run" or "model" ? Path.Combine(dir.Path, a) : a)];
        var (code, output, error) = CliRunner.Run(inDir);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "run")));
    }

    /// <summary>
    /// A run that cannot fit in memory is refused before anything is built, by every trainer, naming the flags and the
    /// memory (200 layers of 20,000 units: terabytes). Before the check, such runs ran out of memory while building the
    /// model, and a batch beyond an array overflowed in the middle of the first step.
    /// </summary>
    [Theory]
    [InlineData("train", "--text", "x.txt", "--out", "run")]
    [InlineData("classify", "train", "--train-lines", "a=x.txt", "--train-lines", "b=y.txt", "--out", "run")]
    [InlineData("tag", "train", "--truecase", "x.txt", "--out", "run")]
    [InlineData("generate", "train", "--train-lines", "a=x.txt", "--train-lines", "b=y.txt", "--out", "run")]
    [InlineData("seq2seq", "train", "--train", "x.tsv", "--dev", "x.tsv", "--out", "run")]
    [InlineData("task", "train", "adding")]
    public void ARunThatCannotFitInMemoryIsRefusedNamingTheFlags(params string[] args)
    {
        using var dir = new TempDirectory();
        WriteData(dir);
        string[] inDir = [.. args.Select(a => InDir(dir, a)), "--hidden", "20000", "--layers", "200"];
        var (code, _, error) = CliRunner.Run(inDir);
        Assert.Equal(2, code);
        Assert.StartsWith("error: This run needs about ", error);
        Assert.Contains("--hidden 20000 × --layers 200", error);
        Assert.Contains("TB of memory", error);
        Assert.Contains("this process may use; lower --hidden", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "run")));
    }

    [Fact]
    public void ABatchBeyondAnArrayIsRefusedBeforeTraining()
    {
        using var dir = new TempDirectory();
        WriteData(dir);
        var (code, output, error) = CliRunner.Run("train", "--text", dir.File("x.txt"), "--out", dir.File("run"), "--batch-size", "1000000", "--seq-length", "20");
        Assert.Equal(2, code);
        // The largest array: the LSTM's cache of 5 values per unit, [T·B, 5·H] = 20 · 1,000,000 · 5 · 256 values.
        Assert.Equal("error: The activations of --batch-size 1000000 × --seq-length 20 steps would need an array of 2.56E+10 values, more than one array can hold " +
                     $"({Array.MaxLength:N0}); lower --batch-size, --seq-length or --hidden.{Environment.NewLine}", error);
        Assert.DoesNotContain("step", output);
    }

    private static void WriteData(TempDirectory dir)
    {
        File.WriteAllText(dir.File("x.txt"), TempDirectory.SampleText(100));
        File.WriteAllText(dir.File("y.txt"), string.Concat(Enumerable.Range(0, 40).Select(i => $"other {i}\n")));
        File.WriteAllText(dir.File("x.tsv"), string.Concat(Enumerable.Range(0, 40).Select(i => $"ab{i % 7}\tA B\n")));
    }

    private static string InDir(TempDirectory dir, string arg) => arg switch
    {
        "x.txt" or "x.tsv" or "run" or "model" => dir.File(arg),
        ['a' or 'b', '=', .. var file] => $"{arg[0]}={dir.File(file)}",
        _ => arg,
    };

    /// <summary>Sizes beyond any array are out of memory, as .NET says for arrays: the machine's limit, not a bug (exit 1).</summary>
    [Fact]
    public void ATensorLargerThanAnArrayIsOutOfMemory()
    {
        Assert.Throws<OutOfMemoryException>(() => new Tensor(100_000, 100_000));
        var command = new Command("big");
        command.SetAction(CommandRunner.Guard(_ => new Tensor(100_000, 100_000).Length));
        var (code, _, error) = CliRunner.RunAllowingInternalErrors(new RootCommand { command }, "big");
        Assert.Equal(1, code);
        Assert.Equal($"error: out of memory: Shape [100000, 100000] has more elements than an array can hold (this process may use {MemoryLimit.OfThisProcess()}). " +
                     $"Ask for smaller sizes (hidden units, layers, batch, lengths).{Environment.NewLine}", error);
    }

    /// <summary>Memory that runs out despite the estimate (a run near the limit) is one line too, without .NET's empty words.</summary>
    [Fact]
    public void MemoryThatRunsOutIsOneLine()
    {
        var command = new Command("big");
        command.SetAction(CommandRunner.Guard(int (_) => throw new OutOfMemoryException("Exception of type 'System.OutOfMemoryException' was thrown.")));
        var (code, _, error) = CliRunner.RunAllowingInternalErrors(new RootCommand { command }, "big");
        Assert.Equal(1, code);
        Assert.Equal($"error: out of memory (this process may use {MemoryLimit.OfThisProcess()}). Ask for smaller sizes (hidden units, layers, batch, lengths).{Environment.NewLine}", error);
    }

    [Fact]
    public void AnEstimateBeyondATimeSpanIsShownAsInfinite()
    {
        Assert.Equal("0:01:05", ProgressLine.Duration(65));
        Assert.Equal("∞", ProgressLine.Duration(1e30));
        Assert.Equal("∞", ProgressLine.Duration(double.NaN));
    }

    [Fact]
    public void AnOverflowingLossIsWrittenToTheMetricsNotRefused()
    {
        using var dir = new TempDirectory();
        var log = new Carousel.Training.MetricsLog(dir.Path);
        log.Append(new { step = 1, loss = double.PositiveInfinity });
        Assert.Equal("{\"step\":1,\"loss\":\"Infinity\"}\n", File.ReadAllText(log.FilePath));
    }
}
