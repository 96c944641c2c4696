using Carousel.IO;

namespace Carousel.Tests.Cli;

/// <summary>
/// The practicum's options on the command line (--input, --output-dropout, --init, --tbptt-window/--tbptt-step,
/// --learned-initial-state, --clip-by-value), DIR/curves.svg, and `carousel compare`.
/// </summary>
[Collection(CliCollection.Name)]
public class PracticumCommandTests
{
    private static string[] Train(string text, string dir, params string[] more) =>
        ["train", "--text", text, "--out", dir, "--hidden", "12", "--seq-length", "10", "--batch-size", "4", "--steps", "12", "--eval-every", "6", "--threads", "1", .. more];

    [Fact]
    public void TwoCharRunsWriteCurvesAndCompareOnOnePage()
    {
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText(20));
        string rnn = scratch.File("rnn"), lstm = scratch.File("lstm");
        var (code, _, error) = CliRunner.Run(Train(text, rnn, "--cell", "rnn", "--layers", "1", "--input", "one-hot", "--init", "xavier",
            "--output-dropout", "0.5", "--tbptt-window", "20", "--tbptt-step", "10", "--learned-initial-state", "--clip-by-value", "--grad-clip", "1"));
        Assert.True(code == 0, error);
        (code, _, error) = CliRunner.Run(Train(text, lstm, "--layers", "2", "--input", "one-hot", "--dropout", "0.5"));
        Assert.True(code == 0, error);

        // The one-hot model has no embedding; the learned initial state is among its weights.
        var names = SafeTensors.Read(Path.Combine(rnn, "model.safetensors")).Names.ToList();
        Assert.DoesNotContain(names, n => n.StartsWith("embedding", StringComparison.Ordinal));
        Assert.Contains("rnn.initial_h_l0", names);

        // curves.svg: the training and validation loss of each evaluation.
        string curves = File.ReadAllText(Path.Combine(rnn, "curves.svg"));
        Assert.StartsWith("<svg", curves);
        Assert.Contains("data-name=\"train\"", curves);
        Assert.Contains("data-name=\"val\"", curves);

        string report = scratch.File("report.html");
        var (compareCode, output, compareError) = CliRunner.Run("compare", rnn, lstm, "--out", report, "--prime", "the", "--length", "40", "--seed", "3");
        Assert.True(compareCode == 0, compareError);
        Assert.Contains("Compared 2 runs", output);
        string page = File.ReadAllText(report);
        Assert.Contains("<svg", page);
        Assert.DoesNotContain("<script", page);
        Assert.Contains("data-name=\"rnn train\"", page);
        Assert.Contains("data-name=\"lstm val\"", page);
        Assert.Contains("<tr class=\"differs\"><td>Cell</td><td>rnn</td><td>lstm</td></tr>", page);
        Assert.Equal(2, page.Split("<pre>the").Length - 1); // a sample from each, both from the same prime
        // The same seed gives the same page (samples included).
        string again = scratch.File("again.html");
        CliRunner.Run("compare", rnn, lstm, "--out", again, "--prime", "the", "--length", "40", "--seed", "3");
        Assert.Equal(page, File.ReadAllText(again));
    }

    [Fact]
    public void CompareRefusesWhatIsNotARunWithOneLineAndWritesNothing()
    {
        using var scratch = new TempDirectory();
        string empty = scratch.File("empty");
        Directory.CreateDirectory(empty);
        string report = scratch.File("report.html");
        foreach (var (dir, message) in new[] { (scratch.File("absent"), "is not a directory"), (empty, "holds no training run") })
        {
            var (code, _, error) = CliRunner.Run("compare", dir, "--out", report);
            Assert.Equal(1, code);
            Assert.StartsWith("error: ", error);
            Assert.Contains(message, error);
            Assert.Single(error.TrimEnd('\n').Split('\n'));
            Assert.False(File.Exists(report));
        }
    }

    public static TheoryData<string, string, string[]> ImpossibleModelSettings()
    {
        var data = new TheoryData<string, string, string[]>();
        foreach (var command in new[] { "train", "classify", "tag", "generate" })
        {
            data.Add(command, "--output-dropout must be in [0, 1), got 1.", ["--output-dropout", "1"]);
            data.Add(command, "Unknown --input 'bytes': expected embedding, one-hot.", ["--input", "bytes"]);
            data.Add(command, "Unknown --init 'he': expected pytorch, xavier, orthogonal.", ["--init", "he"]);
        }
        data.Add("train", "--tbptt-window (h) must be at least --seq-length", ["--tbptt-window", "5", "--seq-length", "10"]);
        data.Add("train", "--tbptt-window and --tbptt-step need --batching stream.", ["--tbptt-window", "20", "--batching", "random"]);
        data.Add("generate", "--learned-initial-state does not apply to the generator", ["--learned-initial-state"]);
        return data;
    }

    [Theory]
    [MemberData(nameof(ImpossibleModelSettings))]
    public void ImpossibleModelSettingsAreRefusedBeforeAnythingIsWritten(string command, string message, string[] more)
    {
        using var scratch = new TempDirectory();
        string dir = scratch.File("run");
        TrainResumeCommandTests.FailsLeavingDirectoryAsItWas(dir, message, [.. ScheduleOptionsTests.TrainArgs(command, scratch.File("absent"), dir), .. more]);
        Assert.False(Directory.Exists(dir));
    }
}
