using System.Text.Json;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Classification;

namespace Carousel.Tests.Cli;

[Collection(CliCollection.Name)]
public class TagCommandTests
{
    private static readonly string[] Tiny = ["--hidden", "12", "--layers", "1", "--embedding", "8", "--batch-size", "8", "--threads", "1"];

    private static string Play(int speeches)
    {
        var sb = new System.Text.StringBuilder();
        string[] names = ["ROMEO", "JULIET", "FRIAR", "NURSE"];
        for (int i = 0; i < speeches; i++)
            sb.Append(names[i % 4]).Append(":\nIs the day so young? I go to Rome.\nBut new struck nine.\n\n");
        return sb.ToString();
    }

    // Each character tagged with whether the next one is 'a', in the string format of labels.
    private static string TaggedLines(int count, int seed)
    {
        var rng = new Rng((ulong)seed);
        var lines = new List<string>();
        for (int n = 0; n < count; n++)
        {
            var text = new char[2 + rng.NextInt(10)];
            for (int i = 0; i < text.Length; i++) text[i] = "abc"[rng.NextInt(3)];
            var tags = new char[text.Length];
            for (int i = 0; i < text.Length; i++) tags[i] = i + 1 < text.Length && text[i + 1] == 'a' ? 'Y' : 'n';
            lines.Add(JsonSerializer.Serialize(new { text = new string(text), tags = new string(tags) }));
        }
        return string.Join("\n", lines) + "\n";
    }

    [Fact]
    public void TruecasingTrainsEvaluatesAndRestoresCapitals()
    {
        using var scratch = new TempDirectory();
        string text = scratch.Write("play.txt", Play(40));
        string dir = scratch.File("run");
        var (code, output, error) = CliRunner.Run(["tag", "train", "--truecase", text, "--out", dir, "--bidirectional", "--epochs", "3", "--max-length", "64", .. Tiny]);
        Assert.True(code == 0, error);
        Assert.Contains("F1(upper)", output);
        Assert.Equal(["checkpoint.safetensors", "curves.svg", "last.safetensors", "metrics.jsonl", "model.safetensors"], Directory.GetFiles(dir).Select(f => Path.GetFileName(f)).Order());
        Assert.Contains("\"dev\"", File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"))[0]);

        var (evalCode, json, evalError) = CliRunner.Run("tag", "eval", dir, "--truecase", text, "--json");
        Assert.True(evalCode == 0, evalError);
        using var doc = JsonDocument.Parse(json);
        double accuracy = doc.RootElement.GetProperty("accuracy").GetDouble();
        Assert.InRange(accuracy, 0, 1);
        Assert.InRange(doc.RootElement.GetProperty("f1_upper").GetDouble(), 0, 1);
        Assert.True(doc.RootElement.GetProperty("labels").GetProperty("upper").GetProperty("support").GetInt64() > 0);
        var (_, table, _) = CliRunner.Run("tag", "eval", dir, "--truecase", text);
        Assert.Contains("F1(upper) = ", table);

        string input = scratch.Write("in.txt", "romeo:\nis the day so young?\n");
        var (predictCode, restored, predictError) = CliRunner.Run("tag", "predict", dir, "--input", input);
        Assert.True(predictCode == 0, predictError);
        Assert.Equal("romeo:\nis the day so young?\n", restored.ToLowerInvariant()); // same text, capitals aside

        var (baseCode, baseline, _) = CliRunner.Run("tag", "baseline", "--truecase", text, "--json");
        Assert.Equal(0, baseCode);
        Assert.Contains("\"f1_upper\"", baseline);
    }

    [Fact]
    public void JsonLinesTrainEvaluateAndPredictWithTheTrainingFormat()
    {
        using var scratch = new TempDirectory();
        string train = scratch.Write("train.jsonl", TaggedLines(300, 1));
        string dev = scratch.Write("dev.jsonl", TaggedLines(40, 2));
        string dir = scratch.File("run");
        var (code, _, error) = CliRunner.Run(["tag", "train", "--train", train, "--dev", dev, "--out", dir, "--bidirectional", "--cell", "gru", "--lr", "0.01", "--epochs", "6", .. Tiny]);
        Assert.True(code == 0, error);

        var (evalCode, json, evalError) = CliRunner.Run("tag", "eval", dir, "--data", dev, "--json");
        Assert.True(evalCode == 0, evalError);
        using var doc = JsonDocument.Parse(json);
        Assert.True(doc.RootElement.GetProperty("accuracy").GetDouble() > 0.95, json);

        string input = scratch.Write("in.txt", "abca\nbbab\n");
        var (predictCode, lines, predictError) = CliRunner.Run("tag", "predict", dir, "--input", input);
        Assert.True(predictCode == 0, predictError);
        var predicted = lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(2, predicted.Length);
        Assert.Equal("abca", predicted[0].GetProperty("text").GetString());
        Assert.Equal("nnYn", predicted[0].GetProperty("tags").GetString());
        Assert.Equal("nYnn", predicted[1].GetProperty("tags").GetString());
    }

    [Fact]
    public void BadInputGivesOneClearErrorAndLosesNothing()
    {
        using var scratch = new TempDirectory();
        string train = scratch.Write("train.jsonl", TaggedLines(20, 1));
        string dir = scratch.File("run");
        Assert.Equal(0, CliRunner.Run(["tag", "train", "--train", train, "--out", dir, "--steps", "2", .. Tiny]).ExitCode);
        string checkpoint = Path.Combine(dir, ModelCheckpoint.FileName);
        byte[] saved = File.ReadAllBytes(checkpoint);

        void Fails(string message, params string[] args)
        {
            var (code, output, error) = CliRunner.Run(args);
            Assert.NotEqual(0, code);
            Assert.StartsWith("error: ", error);
            Assert.Contains(message, error);
            Assert.Single(error.TrimEnd('\n').Split('\n'));
        }

        Fails("already holds a checkpoint", ["tag", "train", "--train", train, "--out", dir, .. Tiny]);
        Assert.Equal(saved, File.ReadAllBytes(checkpoint));
        string broken = scratch.Write("broken.jsonl", "{\"text\":\"ab\",\"tags\":\"nn\"}\n{\"text\":\"ab\",\n");
        Fails($"{broken}:2: not valid JSON", ["tag", "train", "--train", broken, "--out", scratch.File("b"), .. Tiny]);
        string noTags = scratch.Write("notags.jsonl", "{\"text\":\"ab\",\"tags\":\"nn\"}\n{\"text\":\"ab\"}\n");
        Fails($"{noTags}:2: missing field 'tags'", "tag", "eval", dir, "--data", noTags);
        string empty = scratch.Write("empty.jsonl", "{\"text\":\"\",\"tags\":\"\"}\n");
        Fails($"{empty}:1: field 'text' is an empty sequence", "tag", "eval", dir, "--data", empty);
        string unseen = scratch.Write("unseen.jsonl", "{\"text\":\"ab\",\"tags\":\"nn\"}\n{\"text\":\"abc\",\"tags\":\"nQn\"}\n");
        Fails($"{unseen}:2: label 'Q' at character 1 was never seen in training", "tag", "eval", dir, "--data", unseen);
        Fails("Give either --train", "tag", "train", "--out", scratch.File("c"));
        Fails("--truecase needs a truecasing model", "tag", "eval", dir, "--truecase", train);
        Fails("--hidden must be positive", "tag", "train", "--train", train, "--out", scratch.File("d"), "--hidden", "0");

        string other = scratch.File("other");
        Directory.CreateDirectory(other);
        ModelCheckpoint.Save(Path.Combine(other, ModelCheckpoint.FileName), "sequence-classifier/1", [], null, new Dictionary<string, string>(), 0);
        Fails("expected a sequence-tagger/1 checkpoint, found a sequence-classifier/1 checkpoint", "tag", "predict", other, "--input", train);
        Fails("No checkpoint", "tag", "eval", scratch.File("absent"), "--data", train);
        Assert.Equal(saved, File.ReadAllBytes(checkpoint));
    }

    [Fact]
    public void EveryVerbDescribesEachOfItsOptions()
    {
        foreach (var verb in new[] { "train", "eval", "predict", "baseline" })
        {
            var (code, output, _) = CliRunner.Run("tag", verb, "--help");
            Assert.Equal(0, code);
            var optionLines = output.Replace("\r", "").Split('\n').Where(l => l.TrimStart().StartsWith('-')).ToArray();
            Assert.True(optionLines.Length >= 4, output);
            // Each option line: the option, two or more spaces, then its description.
            Assert.All(optionLines, l => Assert.Matches(@"^\s+-\S.*?\s{2,}\S", l));
        }
        Assert.Contains("Read each sequence both ways", CliRunner.Run("tag", "train", "--help").Out);
    }

    [Theory]
    [InlineData("eval", "--batch-size", "0", "--batch-size must be positive, got 0.")]
    [InlineData("eval", "--threads", "0", "--threads must be positive, got 0.")]
    [InlineData("predict", "--batch-size", "-1", "--batch-size must be positive, got -1.")]
    [InlineData("predict", "--threads", "0", "--threads must be positive, got 0.")]
    public void EvalAndPredictRefuseABatchSizeOrThreadCountThatIsNotPositive(string verb, string option, string value, string message)
    {
        using var scratch = new TempDirectory();
        var (code, _, error) = CliRunner.Run("tag", verb, scratch.File("absent"), option, value); // refused before the checkpoint is read
        Assert.NotEqual(0, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
    }
}
