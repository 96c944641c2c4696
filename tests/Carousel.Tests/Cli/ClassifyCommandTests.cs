using System.Text;
using System.Text.Json;
using Carousel.Training;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;

namespace Carousel.Tests.Cli;

[Collection(CliCollection.Name)]
public class ClassifyCommandTests
{
    // Texts of a's and b's; the label is whether an 'x' occurs.
    private static string JsonLines(int count, int seed)
    {
        var rng = new Carousel.Tensors.Rng((ulong)seed);
        var sb = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            var chars = new char[3 + rng.NextInt(8)];
            for (int j = 0; j < chars.Length; j++) chars[j] = "ab"[rng.NextInt(2)];
            bool x = i % 2 == 0;
            if (x) chars[rng.NextInt(chars.Length)] = 'x';
            sb.Append(JsonSerializer.Serialize(new { text = new string(chars), label = x ? "has-x" : "no-x" })).Append('\n');
        }
        return sb.ToString();
    }

    private static string[] Train(string train, string dev, string dir, params string[] more) =>
        ["classify", "train", "--train", train, "--dev", dev, "--out", dir, "--cell", "gru", "--hidden", "12", "--embedding", "6",
         "--batch-size", "16", "--lr", "0.02", "--seed", "2", .. more.Contains("--epochs") ? more : [.. more, "--epochs", "5"]];

    [Fact]
    public void TrainEvalAndPredictRunEndToEnd()
    {
        using var scratch = new TempDirectory();
        string train = scratch.Write("train.jsonl", JsonLines(300, 1));
        string dev = scratch.Write("dev.jsonl", JsonLines(60, 2));
        string dir = scratch.File("run");

        var (code, output, error) = CliRunner.Run(Train(train, dev, dir, "--bidirectional", "--pool", "mean"));
        Assert.True(code == 0, error);
        Assert.Contains("best at step", output);
        Assert.Equal(5, File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Length);
        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));

        var (evalCode, evalJson, evalError) = CliRunner.Run("classify", "eval", dir, "--data", dev, "--json");
        Assert.True(evalCode == 0, evalError);
        using var doc = JsonDocument.Parse(evalJson);
        Assert.True(doc.RootElement.GetProperty("accuracy").GetDouble() >= 0.9, evalJson);
        var confusion = doc.RootElement.GetProperty("confusion");
        Assert.Equal(60, confusion.EnumerateArray().SelectMany(r => r.EnumerateArray()).Sum(c => c.GetInt32()));
        // bf16 weights: scored with the matrices rounded, the accuracy within a few texts of float32's.
        var (bf16Code, bf16Json, bf16Error) = CliRunner.Run("classify", "eval", dir, "--data", dev, "--json", "--weights", "bf16");
        Assert.True(bf16Code == 0, bf16Error);
        using var bf16 = JsonDocument.Parse(bf16Json);
        Assert.Equal("bf16", bf16.RootElement.GetProperty("weights").GetString());
        Assert.Equal("fp32", doc.RootElement.GetProperty("weights").GetString());
        Assert.InRange(bf16.RootElement.GetProperty("accuracy").GetDouble() - doc.RootElement.GetProperty("accuracy").GetDouble(), -0.05, 0.05);
        Assert.NotEqual(doc.RootElement.GetProperty("loss").GetDouble(), bf16.RootElement.GetProperty("loss").GetDouble());
        var (_, evalText, _) = CliRunner.Run("classify", "eval", dir, "--data", dev);
        Assert.Contains("confusion (rows: true, columns: predicted)", evalText);
        Assert.Contains("has-x", evalText);

        // Plain lines, with a character ('?') and a letter ('q') training never saw: read as unknown, no error.
        string input = scratch.Write("in.txt", "abxab\nbbbab\na?qb\n");
        var (predictCode, predicted, predictError) = CliRunner.Run("classify", "predict", dir, "--input", input);
        Assert.True(predictCode == 0, predictError);
        var lines = predicted.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("has-x\t", lines[0]);
        Assert.StartsWith("no-x\t", lines[1]);
        Assert.InRange(double.Parse(lines[0].Split('\t')[1], System.Globalization.CultureInfo.InvariantCulture), 0.5, 1.0);

        // JSON lines from standard input, with every class's probability.
        var oldIn = Console.In;
        Console.SetIn(new StringReader("{\"text\": \"abxab\"}\n{\"text\": \"bbbab\"}\n"));
        try
        {
            var (stdinCode, fromStdin, stdinError) = CliRunner.Run("classify", "predict", dir, "--json");
            Assert.True(stdinCode == 0, stdinError);
            var rows = fromStdin.TrimEnd('\n').Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToArray();
            Assert.Equal(["has-x", "no-x"], rows.Select(r => r.GetProperty("label").GetString()));
            Assert.Equal(1.0, rows[0].GetProperty("probabilities").EnumerateObject().Sum(p => p.Value.GetDouble()), 4);
        }
        finally
        {
            Console.SetIn(oldIn);
        }
    }

    [Fact]
    public void BadInputGivesOneClearErrorAndLosesNothing()
    {
        using var scratch = new TempDirectory();
        string train = scratch.Write("train.jsonl", JsonLines(60, 1));
        string dir = scratch.File("run");
        var (code, _, error) = CliRunner.Run(Train(train, train, dir, "--epochs", "1"));
        Assert.True(code == 0, error);
        string checkpoint = Path.Combine(dir, ModelCheckpoint.FileName);
        byte[] saved = File.ReadAllBytes(checkpoint);

        var cases = new (string[] Args, string Message)[]
        {
            (Train(train, train, dir), "already holds a checkpoint"),
            (Train(scratch.Write("bad.jsonl", "{\"text\": \"ab\", \"label\": \"no-x\"}\n{oops\n"), train, scratch.File("r2")), "bad.jsonl:2: not valid JSON"),
            (Train(scratch.Write("nolabel.jsonl", "{\"text\": \"ab\"}\n"), train, scratch.File("r3")), "nolabel.jsonl:1: missing field 'label'"),
            (Train(scratch.Write("empty.jsonl", "{\"text\": \"\", \"label\": \"a\"}\n"), train, scratch.File("r4")), "empty.jsonl:1: empty text"),
            (["classify", "eval", dir, "--data", scratch.Write("new.jsonl", "{\"text\": \"ab\", \"label\": \"maybe\"}\n")], "label 'maybe', which the model was not trained on"),
            (["classify", "predict", dir, "--input", scratch.Write("gap.txt", "ab\n\nab\n")], "gap.txt:2: empty text"),
            (["classify", "predict", scratch.File("nowhere")], "No checkpoint"),
            (Train(train, train, scratch.File("r5"), "--pool", "median"), "Unknown --pool 'median'"),
        };
        foreach (var (args, message) in cases)
        {
            var (c, _, e) = CliRunner.Run(args);
            Assert.True(c != 0, string.Join(' ', args));
            Assert.StartsWith("error: ", e);
            Assert.Contains(message, e);
            Assert.Single(e.TrimEnd('\n').Split('\n'));
        }
        Assert.Equal(saved, File.ReadAllBytes(checkpoint));

        // A checkpoint of another kind is refused by name.
        string other = scratch.File("other");
        Directory.CreateDirectory(other);
        ModelCheckpoint.Save(Path.Combine(other, ModelCheckpoint.FileName), "conditioned-generator/1", [], null, new Dictionary<string, string>(), 0);
        var (kindCode, _, kindError) = CliRunner.Run("classify", "predict", other, "--input", train);
        Assert.NotEqual(0, kindCode);
        Assert.Contains("expected a sequence-classifier/1 checkpoint, found a conditioned-generator/1 checkpoint", kindError);
    }

    [Fact]
    public void ReadsLineFilesPerLabelAndSplitsOffADevSet()
    {
        using var scratch = new TempDirectory();
        string a = scratch.Write("a.txt", string.Join("\n", Enumerable.Range(0, 40).Select(i => "aa" + new string('a', i % 5) + "b")));
        string b = scratch.Write("b.txt", string.Join("\n", Enumerable.Range(0, 40).Select(i => "bb" + new string('b', i % 7) + "a")) + "\naab\n");
        var (code, output, error) = CliRunner.Run("classify", "train", "--train-lines", $"A={a}", "--train-lines", $"B={b}", "--drop-conflicts",
            "--dev-fraction", "0.25", "--out", scratch.File("run"), "--hidden", "8", "--embedding", "4", "--epochs", "1");
        Assert.True(code == 0, error);
        Assert.Contains("Dropped 1 texts", output);  // "aab" is in both files
        Assert.Contains("labels A, B", output);
    }

    [Fact]
    public void EveryVerbHasHelp()
    {
        foreach (var verb in new[] { "train", "eval", "predict" })
        {
            var (code, output, _) = CliRunner.Run("classify", verb, "--help");
            Assert.Equal(0, code);
            Assert.Contains("Description", output, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public void WordLevelLearnsFromWhichWordsOccurAndReadsUnseenWordsAsUnknown()
    {
        // The label is whether the word "not" occurs among filler words; at character level "not" and "note" look alike.
        static string Words(int count, int seed)
        {
            var rng = new Carousel.Tensors.Rng((ulong)seed);
            string[] filler = ["note", "knot", "on", "to", "tone"];
            var sb = new StringBuilder();
            for (int i = 0; i < count; i++)
            {
                var words = Enumerable.Range(0, 2 + rng.NextInt(4)).Select(_ => filler[rng.NextInt(filler.Length)]).ToList();
                bool negated = i % 2 == 0;
                if (negated) words.Insert(rng.NextInt(words.Count + 1), "not");
                sb.Append(JsonSerializer.Serialize(new { text = string.Join(' ', words), label = negated ? "neg" : "pos" })).Append('\n');
            }
            return sb.ToString();
        }
        using var scratch = new TempDirectory();
        string train = scratch.Write("train.jsonl", Words(200, 1));
        string dev = scratch.Write("dev.jsonl", Words(40, 2));
        string dir = scratch.File("run");
        var (code, output, error) = CliRunner.Run(Train(train, dev, dir, "--level", "words", "--pool", "max"));
        Assert.True(code == 0, error);
        Assert.Contains("words (first 1,000, 7 symbols)", output); // 6 words and the unknown one
        var (evalCode, evalJson, evalError) = CliRunner.Run("classify", "eval", dir, "--data", dev, "--json");
        Assert.True(evalCode == 0, evalError);
        using var doc = JsonDocument.Parse(evalJson);
        Assert.True(doc.RootElement.GetProperty("accuracy").GetDouble() >= 0.9, evalJson);
        string input = scratch.Write("in.txt", "note never not\n");
        var (predictCode, predicted, predictError) = CliRunner.Run("classify", "predict", dir, "--input", input);
        Assert.True(predictCode == 0, predictError);
        Assert.StartsWith("neg\t", predicted);
    }
}
