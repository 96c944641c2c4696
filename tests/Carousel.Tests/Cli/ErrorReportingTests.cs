using System.CommandLine;
using System.Runtime.CompilerServices;
using Carousel.Cli;

namespace Carousel.Tests.Cli;

/// <summary>
/// How the CLI reports what went wrong (<see cref="CommandRunner"/>): a user's mistake is one `error:` line with the
/// flags the user typed and exit 2 (the command line) or 1 (files, data, a diverged run); anything else is a bug,
/// reported as an internal error with its stack trace and exit 70.
/// </summary>
[Collection(CliCollection.Name)]
public class ErrorReportingTests
{
    /// <summary>`carousel fit --lr … --batch … --decay-from … --schedule …`, whose action throws what <paramref name="fail"/> returns.</summary>
    private static RootCommand Root(Func<Exception> fail, bool guarded = true)
    {
        var command = new Command("fit")
        {
            new Option<float>("--lr"), new Option<int>("--batch"), new Option<int>("--decay-from"), new Option<string>("--schedule"), new Option<int>("--layers"),
        };
        Func<ParseResult, int> action = _ => throw fail();
        command.SetAction(guarded ? CommandRunner.Guard(action) : action);
        return new RootCommand { command };
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Exception ThrowDeepInside() => throw new InvalidOperationException("the cache is empty");

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // an action that is not wrapped in Guard: caught by CommandRunner.Invoke, not by System.CommandLine
    public void ABugIsAnInternalErrorWithItsStackTrace(bool guarded)
    {
        var (code, output, error) = CliRunner.RunAllowingInternalErrors(Root(ThrowDeepInside, guarded), "fit");
        Assert.Equal(CommandRunner.InternalError, code);
        Assert.Equal(70, code);
        Assert.StartsWith("error: internal error: the cache is empty" + Environment.NewLine, error);
        Assert.Contains("System.InvalidOperationException: the cache is empty", error);
        Assert.Contains($"at {typeof(ErrorReportingTests).FullName}.{nameof(ThrowDeepInside)}", error); // the stack trace, down to the thrower
        Assert.Contains("This is a bug in Carousel", error);
        Assert.Equal("", output);
    }

    /// <summary>Exceptions that today's library throws only for a broken contract between its own parts: none of them is the user's doing.</summary>
    [Fact]
    public void PlainArgumentAndOtherExceptionsAreBugsToo()
    {
        foreach (var bug in new Func<Exception>[]
                 {
                     () => new ArgumentException("Expected input [T, B, 3], got [5, 2, 4]."),
                     () => new ArgumentOutOfRangeException("n"),
                     () => new NullReferenceException(),
                     () => new FormatException("bad format"),
                     () => new NotSupportedException("not here"),
                     () => new KeyNotFoundException("key"),
                 })
        {
            var (code, _, error) = CliRunner.RunAllowingInternalErrors(Root(bug), "fit");
            Assert.Equal(CommandRunner.InternalError, code);
            Assert.StartsWith("error: internal error: ", error);
            Assert.Contains(bug().GetType().FullName!, error);
        }
    }

    [Theory]
    [InlineData("LearningRate", "LearningRate must be positive, got -1.", "--lr must be positive, got -1.")]
    [InlineData("BatchSize", "BatchSize must be positive, got 0.", "--batch must be positive, got 0.")] // --batch-size is not declared, --batch is
    [InlineData("HiddenSize", "HiddenSize must be positive, got 0.", "HiddenSize must be positive, got 0.")] // no flag for it here: the name stays
    [InlineData("DecayFrom", "DecayFrom goes with Schedule step, not cosine.", "--decay-from goes with --schedule step, not cosine.", "Schedule")]
    [InlineData("Layers", "Layers must be positive, got 0; EncoderLayers and Layers-2 are other words.", "--layers must be positive, got 0; EncoderLayers and Layers-2 are other words.")]
    [InlineData("LearningRate", "Unknown LearningRate 'LearningRate' in 'runs/LearningRate/x'.", "Unknown --lr 'LearningRate' in 'runs/LearningRate/x'.")] // the user's values stay
    public void ASettingExceptionNamesTheFlagTheUserTyped(string setting, string message, string shown, params string[] alsoNamed)
    {
        var (code, output, error) = CliRunner.RunAllowingInternalErrors(Root(() => new SettingException(setting, message, alsoNamed)), "fit");
        Assert.Equal(CommandRunner.UsageError, code);
        Assert.Equal($"error: {shown}{Environment.NewLine}", error);
        Assert.Equal("", output);
    }

    [Fact]
    public void ADivergedRunIsAFailureThatNamesTheFlags()
    {
        var (code, _, error) = CliRunner.RunAllowingInternalErrors(
            Root(() => new TrainingDivergedException(3, "The training loss became NaN at step 3; lower LearningRate.", "LearningRate")), "fit");
        Assert.Equal(CommandRunner.Failure, code);
        Assert.Equal($"error: The training loss became NaN at step 3; lower --lr.{Environment.NewLine}", error);
    }

    [Fact]
    public void SettingNamesCanRideOnAnyUserError()
    {
        var (code, _, error) = CliRunner.RunAllowingInternalErrors(
            Root(() => new InvalidDataException("data.jsonl:3: missing field 'text' (see LearningRate).").Naming("LearningRate")), "fit");
        Assert.Equal(CommandRunner.Failure, code);
        Assert.Equal($"error: data.jsonl:3: missing field 'text' (see --lr).{Environment.NewLine}", error);
    }

    // ---- one real command per exit code ----

    [Fact]
    public void Success_0()
    {
        var (code, output, error) = CliRunner.Run("task", "list");
        Assert.Equal(0, code);
        Assert.Contains("adding", output);
        Assert.Equal("", error);
    }

    [Fact]
    public void AnImpossibleSettingFromTheLibrary_2()
    {
        using var dir = new TempDirectory();
        string text = dir.Write("text.txt", string.Concat(Enumerable.Repeat("some text to learn. ", 50)));
        var (code, _, error) = CliRunner.Run("train", "--text", text, "--out", dir.File("run"), "--lr", "-1");
        Assert.Equal(2, code);
        Assert.Equal($"error: --lr must be positive, got -1.{Environment.NewLine}", error);
        Assert.False(Directory.Exists(dir.File("run")));

        // The same setting (TaskTrainingOptions.BatchSize) under the flag this command declares.
        (code, _, error) = CliRunner.Run("task", "train", "adding", "--batch", "0");
        Assert.Equal(2, code);
        Assert.Equal($"error: --batch must be positive, got 0.{Environment.NewLine}", error);
    }

    [Fact]
    public void AnImpossibleCommandLineFoundByTheCli_2()
    {
        var (code, _, error) = CliRunner.Run("rtrl", "cost", "--hidden", "8,x");
        Assert.Equal(2, code);
        Assert.Equal($"error: --hidden takes positive sizes, got 'x'.{Environment.NewLine}", error);
    }

    [Theory]
    [InlineData("Unrecognized command or argument '--bogus'.", "task", "list", "--bogus")]
    [InlineData("Cannot parse argument 'x' for option '--hidden'", "bench", "--hidden", "x")]
    [InlineData("Option '--text' is required.", "train", "--out", "somewhere")]
    [InlineData("Cannot parse argument '-1' for option '--seed'", "train", "--text", "t.txt", "--out", "somewhere", "--seed", "-1")]
    public void ACommandLineThatDoesNotParse_2(string message, params string[] args)
    {
        var (code, output, error) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
        Assert.Contains($"See 'carousel {string.Join(' ', args.TakeWhile(a => !a.StartsWith('-')))} --help'.", error);
        Assert.Equal("", output);
    }

    /// <summary>A folder given where a text file is read is said to be one, not "does not exist".</summary>
    [Fact]
    public void AFolderGivenAsTheTextIsSaidToBeOne()
    {
        using var dir = new TempDirectory();
        var (code, _, error) = CliRunner.Run("train", "--text", dir.Path, "--out", dir.File("run"));
        Assert.Equal(1, code);
        Assert.Equal($"error: '{dir.Path}' is a directory; a text file is needed.{Environment.NewLine}", error);
    }

    [Fact]
    public void AMissingFile_1()
    {
        using var dir = new TempDirectory();
        var (code, _, error) = CliRunner.Run("eval", dir.File("absent"), "--text", dir.File("absent.txt"));
        Assert.Equal(1, code);
        Assert.StartsWith($"error: No checkpoint at '{dir.File("absent")}'.", error);
    }

    [Fact]
    public void BadData_1()
    {
        using var dir = new TempDirectory();
        string text = dir.File("latin1.txt");
        File.WriteAllBytes(text, [0x63, 0x61, 0x66, 0xE9, 0x0A]); // "café" in Latin-1: not UTF-8
        var (code, _, error) = CliRunner.Run("train", "--text", text, "--out", dir.File("run"));
        Assert.Equal(1, code);
        Assert.Equal($"error: Text file '{text}' is not valid UTF-8 (bad byte at offset 3).{Environment.NewLine}", error);
    }

    [Fact]
    public void ADivergedRunNamesTheStepAndTheFlags()
    {
        using var dir = new TempDirectory();
        string text = dir.Write("text.txt", string.Concat(Enumerable.Repeat("abcabd abcabe ", 60)));
        var (code, _, error) = CliRunner.Run("train", "--text", text, "--out", dir.File("run"), "--hidden", "8", "--seq-length", "8",
            "--batch-size", "4", "--steps", "20", "--eval-every", "10", "--optimizer", "adam", "--lr", "1e38");
        Assert.Equal(1, code);
        Assert.StartsWith("error: Training diverged at step ", error);
        Assert.Contains("lower --lr or clip the gradients (--grad-clip).", error);
    }

    /// <summary>Every flag the table gives a setting is one some command declares: a misspelt alias would never be chosen.</summary>
    [Fact]
    public void EveryAliasIsAFlagOfSomeCommand()
    {
        var declared = new HashSet<string>();
        void Walk(Command c)
        {
            declared.UnionWith(OptionNames.Declared(c));
            foreach (var sub in c.Subcommands) Walk(sub);
        }
        Walk(CarouselApp.CreateRoot());
        foreach (var (setting, flags) in OptionNames.Aliases)
            foreach (var flag in flags)
                Assert.True(declared.Contains(flag), $"{setting}: no command declares {flag}");
    }

    [Theory]
    [InlineData("LearningRate", "--learning-rate")]
    [InlineData("BatchSize", "--batch-size")]
    [InlineData("TopK", "--top-k")]
    [InlineData("Hidden", "--hidden")]
    public void KebabCaseIsTheDefaultFlag(string setting, string flag) => Assert.Equal(flag, OptionNames.KebabCase(setting));
}
