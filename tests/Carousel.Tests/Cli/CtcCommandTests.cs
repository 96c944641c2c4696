using System.Text.Json;
using Carousel.Data;
using Carousel.IO;
using Carousel.Tests.Training;

namespace Carousel.Tests.Cli;

[Collection(CliCollection.Name)]
public class CtcCommandTests
{
    private static readonly string[] Tiny = ["--hidden", "8", "--layers", "1", "--batch-size", "8", "--threads", "1"];

    private static string JsonLinesOf(IEnumerable<FrameSequence> sequences) => string.Join("\n", sequences.Select(s => FrameJsonLines.Format(s))) + "\n";

    [Fact]
    public void TrainEvalAndPredictRunOnJsonLinesAndTheBinaryForm()
    {
        using var scratch = new TempDirectory();
        string train = scratch.Write("train.jsonl", JsonLinesOf(CtcTrainingTests.Spoken(16, 1)));
        string dev = scratch.File("dev.safetensors");
        FrameSafeTensors.Write(dev, CtcTrainingTests.Spoken(6, 2));
        string dir = scratch.File("run");
        var (code, output, error) = CliRunner.Run(["ctc", "train", "--train", train, "--dev", dev, "--out", dir, "--bidirectional", "--epochs", "2", "--beam", "2", .. Tiny]);
        Assert.True(code == 0, error);
        Assert.Contains("labels a b and the blank", output);
        Assert.Contains("dev LER", output);
        Assert.Contains("label_error_rate", File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"))[0]);

        var (evalCode, json, evalError) = CliRunner.Run("ctc", "eval", dir, "--data", dev, "--beam", "3", "--json");
        Assert.True(evalCode == 0, evalError);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(6, doc.RootElement.GetProperty("greedy").GetProperty("sequences").GetInt32());
        Assert.InRange(doc.RootElement.GetProperty("beam_3").GetProperty("sequence_accuracy").GetDouble(), 0, 1);
        var (_, table, _) = CliRunner.Run("ctc", "eval", dir, "--data", dev);
        Assert.Contains("greedy    label error rate", table);
        Assert.Contains("beam 8", table);

        string unlabelled = scratch.Write("in.jsonl", "{\"frames\": [[1, 0, 0], [0, 1, 0], [0, 1, 0], [1, 0, 0]]}\n{\"frames\": [[1, 0, 0]]}\n");
        var (predictCode, predicted, predictError) = CliRunner.Run("ctc", "predict", dir, "--input", unlabelled, "--beam", "2");
        Assert.True(predictCode == 0, predictError);
        var lines = predicted.Split('\n', StringSplitOptions.None);
        Assert.Equal(3, lines.Length); // two lines and the final newline
        Assert.All(lines[..2], l => Assert.Matches("^[ab]*$", l));

        var (again, _, againError) = CliRunner.Run(["ctc", "train", "--train", train, "--dev", dev, "--out", dir, "--epochs", "1", .. Tiny]);
        Assert.Equal(2, again);
        Assert.Contains("already holds a checkpoint", againError);
    }

    [Theory]
    [InlineData("{\"frames\": [[1, 0, 0], [0, 1]], \"labels\": \"a\"}", "train.jsonl:2: frame 1 has 2 features; the file's frames have 3.")]
    [InlineData("{\"frames\": [], \"labels\": \"a\"}", "train.jsonl:2: an empty sequence (no frames).")]
    [InlineData("{\"frames\": [[1, 0, 0], [0, 1, 0]], \"labels\": \"aaa\"}", "train.jsonl:2: 3 labels need at least 5 steps")]
    [InlineData("{\"frames\": [[1, 0, 1e400]], \"labels\": \"a\"}", "train.jsonl:2: frame 0, feature 2 is")]
    [InlineData("{\"frames\": [[1, 0, 0]]}", "train.jsonl:2: missing field 'labels'")]
    public void BadTrainingDataGivesOneErrorLineWithFileAndLine(string badLine, string expected)
    {
        using var scratch = new TempDirectory();
        string train = scratch.Write("train.jsonl", "{\"frames\": [[1, 0, 0], [0, 1, 0]], \"labels\": \"b\"}\n" + badLine + "\n");
        var (code, _, error) = CliRunner.Run(["ctc", "train", "--train", train, "--out", scratch.File("run"), "--dev-fraction", "0", .. Tiny]);
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(expected, error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(scratch.File("run")) && File.Exists(Path.Combine(scratch.File("run"), "checkpoint.safetensors")));
    }

    [Fact]
    public void EvalRefusesFramesOfAnotherWidthAndCheckpointsOfAnotherKind()
    {
        using var scratch = new TempDirectory();
        string train = scratch.Write("train.jsonl", JsonLinesOf(CtcTrainingTests.Spoken(8, 1)));
        string dir = scratch.File("run");
        Assert.Equal(0, CliRunner.Run(["ctc", "train", "--train", train, "--out", dir, "--epochs", "1", .. Tiny]).ExitCode);
        string wide = scratch.Write("wide.jsonl", "{\"frames\": [[1, 0, 0, 0]], \"labels\": \"a\"}\n");
        var (code, _, error) = CliRunner.Run("ctc", "eval", dir, "--data", wide);
        Assert.Equal(1, code);
        Assert.Contains("wide.jsonl:1: frames of 4 features, the model reads 3.", error);
        var (predictCode, _, predictError) = CliRunner.Run("tag", "eval", dir, "--data", wide);
        Assert.Equal(1, predictCode);
        Assert.Contains("found a ctc-recognizer/1 checkpoint", predictError);
    }
}
