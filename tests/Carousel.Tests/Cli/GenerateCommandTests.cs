using System.Text.Json;
using Carousel.Training;
using Carousel.Training.Classification;

namespace Carousel.Tests.Cli;

[Collection(CliCollection.Name)]
public class GenerateCommandTests
{
    private static string[] Train(string dir, params string[] data) =>
        ["generate", "train", .. data, "--out", dir, "--cell", "gru", "--hidden", "16", "--embedding", "8", "--epochs", "12",
         "--batch-size", "8", "--lr", "0.01", "--seed", "3", "--dev-fraction", "0.2"];

    [Fact]
    public void TrainSampleAndEvalRunEndToEnd()
    {
        using var scratch = new TempDirectory();
        // Distinct texts so that a dev split exists; condition A makes a's, B makes b's.
        string a = scratch.Write("a.txt", string.Join("\n", Enumerable.Range(1, 20).Select(i => new string('a', 2 + i % 3) + (i % 4 == 0 ? "c" : ""))) + "\naaa\naac\naaac\naaaac\naca\n");
        string b = scratch.Write("b.txt", string.Join("\n", ["bbb", "bbbc", "bb", "bbbb", "bbc", "bcb", "bbcb", "bbbbc", "bcbb", "bbbcb"]));
        string dir = scratch.File("gen");
        var (code, output, error) = CliRunner.Run(Train(dir, "--train-lines", $"A={a}", "--train-lines", $"B={b}"));
        Assert.True(code == 0, error);
        Assert.Contains("one-hot of A, B", output);
        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));

        var (sampleCode, samples, sampleError) = CliRunner.Run("generate", "sample", dir, "--condition", "B", "--count", "6", "--temperature", "0.5", "--seed", "1");
        Assert.True(sampleCode == 0, sampleError);
        var lines = samples.TrimEnd('\n').Split('\n');
        Assert.Equal(6, lines.Length);
        Assert.All(lines, l => Assert.DoesNotContain('a', l));
        var (_, again, _) = CliRunner.Run("generate", "sample", dir, "--condition", "B", "--count", "6", "--temperature", "0.5", "--seed", "1");
        Assert.Equal(samples, again);

        var (evalCode, json, evalError) = CliRunner.Run("generate", "eval", dir, "--count", "20", "--temperature", "0.5", "--known-lines", $"A={a}", "--known-lines", $"B={b}", "--json");
        Assert.True(evalCode == 0, evalError);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(2, doc.RootElement.GetArrayLength());
        Assert.InRange(doc.RootElement[0].GetProperty("share_new").GetDouble(), 0, 1);
        Assert.Equal(JsonValueKind.Null, doc.RootElement[0].GetProperty("share_judged_as_label").ValueKind);
    }

    [Fact]
    public void TrainsOnConditionVectorsFromAFile()
    {
        using var scratch = new TempDirectory();
        var lines = new List<string>();
        for (int i = 0; i < 12; i++)
        {
            lines.Add(JsonSerializer.Serialize(new { text = "xx" + new string('x', i % 4) + i, condition = new[] { 1f, 0f } }));
            lines.Add(JsonSerializer.Serialize(new { text = "yy" + new string('y', i % 4) + i, condition = new[] { 0f, 1f } }));
        }
        string data = scratch.Write("v.jsonl", string.Join("\n", lines));
        string dir = scratch.File("gen");
        var (code, _, error) = CliRunner.Run(Train(dir, "--train-vectors", data));
        Assert.True(code == 0, error);
        var (sampleCode, output, sampleError) = CliRunner.Run("generate", "sample", dir, "--condition-vector", "0, 1", "--count", "3", "--temperature", "0.3");
        Assert.True(sampleCode == 0, sampleError);
        Assert.Equal(3, output.TrimEnd('\n').Split('\n').Length);
    }

    [Fact]
    public void BadInputGivesOneClearError()
    {
        using var scratch = new TempDirectory();
        string a = scratch.Write("a.txt", "aa\naaa\naaaa\naab\nab\n");
        string b = scratch.Write("b.txt", "bb\nbbb\nbbbb\nbba\nba\n");
        string dir = scratch.File("gen");
        Assert.Equal(0, CliRunner.Run("generate", "train", "--train-lines", $"A={a}", "--train-lines", $"B={b}", "--out", dir, "--epochs", "1", "--hidden", "4", "--dev-fraction", "0.2").ExitCode);
        string classifier = scratch.File("cls");
        Directory.CreateDirectory(classifier);
        ModelCheckpoint.Save(Path.Combine(classifier, ModelCheckpoint.FileName), ClassifierCheckpoint.Kind, [], null, new Dictionary<string, string>(), 0);

        var cases = new (string[] Args, string Message)[]
        {
            (["generate", "sample", dir, "--condition", "C"], "Unknown condition 'C': expected one of A, B"),
            (["generate", "sample", dir], "Give either --condition LABEL or --condition-vector"),
            (["generate", "sample", dir, "--condition-vector", "1,0,0"], "has 3 values; the model takes 2"),
            (["generate", "sample", classifier, "--condition", "A"], "expected a conditioned-generator/1 checkpoint, found a sequence-classifier/1 checkpoint"),
            (["generate", "eval", dir, "--judge", dir], "expected a sequence-classifier/1 checkpoint"),
            (Train(dir, "--train-lines", $"A={a}"), "already holds a checkpoint"),
            (Train(scratch.File("g2"), "--train-vectors", scratch.Write("v.jsonl", "{\"text\": \"ab\", \"condition\": [1, 0]}\n{\"text\": \"cd\", \"condition\": [1]}\n")), "v.jsonl:2: a condition of 1 values"),
            (Train(scratch.File("g3"), "--train-vectors", scratch.Write("w.jsonl", "{\"text\": \"ab\", \"condition\": [1, \"x\"]}\n")), "w.jsonl:1: field 'condition' holds \"x\""),
        };
        foreach (var (args, message) in cases)
        {
            var (code, _, error) = CliRunner.Run(args);
            Assert.True(code != 0, string.Join(' ', args));
            Assert.StartsWith("error: ", error);
            Assert.Contains(message, error);
        }
    }
}
