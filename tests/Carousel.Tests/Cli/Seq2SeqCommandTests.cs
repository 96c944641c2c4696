using System.Text;
using System.Text.Json;

namespace Carousel.Tests.Cli;

[Collection(CliCollection.Name)]
public class Seq2SeqCommandTests
{
    // Spelling → "pronunciation": each letter becomes its upper-case token, the word reversed; some words have two.
    private static string Pairs(int count, int seed)
    {
        var rng = new Carousel.Tensors.Rng((ulong)seed);
        var sb = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            var word = new string(Enumerable.Range(0, 2 + rng.NextInt(4)).Select(_ => "abcde"[rng.NextInt(5)]).ToArray());
            sb.Append(word).Append('\t').AppendJoin(' ', word.Reverse().Select(c => char.ToUpperInvariant(c).ToString())).Append('\n');
            if (i % 10 == 0) sb.Append(word).Append("\tX\n");
        }
        return sb.ToString();
    }

    private static string[] TrainArgs(TempDirectory dir, string outName = "run") =>
    [
        "seq2seq", "train", "--train", dir.Write("train.tsv", Pairs(300, 1)), "--dev", dir.Write("dev.tsv", Pairs(30, 2)),
        "--out", dir.File(outName), "--embedding", "8", "--hidden", "12", "--decoder-hidden", "16", "--epochs", "2", "--batch-size", "16", "--lr", "0.01",
    ];

    [Fact]
    public void TrainEvalAndPredictOnTinyData()
    {
        using var dir = new TempDirectory();
        var (code, output, error) = CliRunner.Run(TrainArgs(dir));
        Assert.True(code == 0, error);
        Assert.Contains("dev PER", output);
        Assert.Equal(["checkpoint.safetensors", "curves.svg", "last.safetensors", "metrics.jsonl", "model.safetensors"], Directory.GetFiles(dir.File("run")).Select(Path.GetFileName).Order());
        Assert.Equal(2, File.ReadAllLines(dir.File("run/metrics.jsonl")).Length);

        (code, output, error) = CliRunner.Run("seq2seq", "eval", dir.File("run"), "--data", dir.File("dev.tsv"), "--json", "--beam", "3");
        Assert.True(code == 0, error);
        using (var json = JsonDocument.Parse(output))
        {
            Assert.Equal(DistinctSources(dir.File("dev.tsv")), json.RootElement.GetProperty("words").GetInt32());
            double per = json.RootElement.GetProperty("per").GetDouble(), wer = json.RootElement.GetProperty("wer").GetDouble();
            Assert.InRange(per, 0, 1.5);
            Assert.InRange(wer, 0, 1);
        }

        (code, output, error) = CliRunner.Run("seq2seq", "predict", dir.File("run"), "abc", "eda");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("abc\t", lines[0]);
        Assert.StartsWith("eda\t", lines[1]);

        (code, output, error) = CliRunner.Run("seq2seq", "predict", dir.File("run"), "--input", dir.Write("words.txt", "abc\nbad\n"), "--nbest", "3");
        Assert.True(code == 0, error);
        lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.All(lines, l => Assert.Equal(3, l.Split('\t').Length)); // source, output, log-probability
    }

    /// <summary>
    /// The additions for model quality in one small run: input feeding, label smoothing, the model chosen on an inner dev
    /// split of the training words, the last epochs kept and averaged, and an ensemble at decode time.
    /// </summary>
    [Fact]
    public void InnerDevInputFeedingAveragingAndEnsemble()
    {
        using var dir = new TempDirectory();
        string[] args = ["seq2seq", "train", "--train", dir.Write("train.tsv", Pairs(300, 1)), "--out", dir.File("run"), "--embedding", "8", "--hidden", "12",
            "--decoder-hidden", "16", "--epochs", "3", "--batch-size", "16", "--lr", "0.01", "--input-feeding", "--label-smoothing", "0.1",
            "--inner-dev-fraction", "0.1", "--keep-epochs", "2"];
        var (code, output, error) = CliRunner.Run(args);
        Assert.True(code == 0, error);
        Assert.Contains("inner dev words", output);
        var innerDev = File.ReadAllLines(dir.File("run/inner-dev.tsv"));
        var heldWords = innerDev.Select(l => l.Split('\t')[0]).ToHashSet();
        Assert.Equal(Math.Round(0.1 * DistinctSources(dir.File("train.tsv"))), heldWords.Count);
        Assert.Equal(File.ReadAllLines(dir.File("train.tsv")).Count(l => heldWords.Contains(l.Split('\t')[0])), innerDev.Length); // every pronunciation of a held-out word
        var kept = Directory.GetFiles(dir.File("run/epochs")).Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(["epoch-0002.safetensors", "epoch-0003.safetensors"], kept);
        Assert.Contains("\"InnerDevFraction\":0.1", File.ReadAllText(dir.File("run/metrics.jsonl")) + ReadTraining(dir.File("run")));

        (code, output, error) = CliRunner.Run("seq2seq", "average", dir.File("run"), "--last", "2", "--out", dir.File("avg"));
        Assert.True(code == 0, error);
        Assert.Contains("averaged 2 checkpoints", output);

        (code, output, error) = CliRunner.Run("seq2seq", "eval", dir.File("avg"), "--data", dir.Write("dev.tsv", Pairs(30, 2)), "--json", "--beam", "2",
            "--ensemble", dir.File("run"));
        Assert.True(code == 0, error);
        using (var json = JsonDocument.Parse(output)) Assert.Equal(2, json.RootElement.GetProperty("models").GetInt32());
        (code, output, error) = CliRunner.Run("seq2seq", "predict", dir.File("avg"), "abc", "--ensemble", dir.File("run") + "," + dir.File("run/epochs/epoch-0002.safetensors"));
        Assert.True(code == 0, error);
        Assert.StartsWith("abc\t", output);

        // choosing on two sets at once, or on none, is refused; averaging more epochs than kept names the option to train with
        (code, _, error) = CliRunner.Run([.. args.Select(a => a == dir.File("run") ? dir.File("run2") : a), "--dev", dir.File("dev.tsv")]);
        Assert.NotEqual(0, code);
        Assert.Contains("--inner-dev-fraction", error);
        (code, _, error) = CliRunner.Run("seq2seq", "average", dir.File("run"), "--last", "3", "--out", dir.File("avg3"));
        Assert.NotEqual(0, code);
        Assert.Contains("--keep-epochs 3", error);
        Assert.False(Directory.Exists(dir.File("avg3")));

        // another seed for the weights but the same split seed holds out the same words
        (code, _, error) = CliRunner.Run([.. args.Select(a => a == dir.File("run") ? dir.File("run4") : a == "3" ? "1" : a), "--seed", "9", "--inner-dev-seed", "0"]);
        Assert.True(code == 0, error);
        Assert.Equal(innerDev, File.ReadAllLines(dir.File("run4/inner-dev.tsv")));
    }

    private static string ReadTraining(string run) => Carousel.Training.EncoderDecoder.Seq2SeqCheckpoint.Load(run).Metadata["training"];

    private static int DistinctSources(string path) => File.ReadAllLines(path).Select(l => l.Split('\t')[0]).Distinct().Count();

    [Fact]
    public void BadInputGivesOneClearErrorAndLosesNothing()
    {
        using var dir = new TempDirectory();
        Assert.Equal(0, CliRunner.Run(TrainArgs(dir)).ExitCode);
        string checkpoint = dir.File("run/checkpoint.safetensors");
        var saved = File.ReadAllBytes(checkpoint);

        // training over a saved checkpoint is refused
        var (code, _, error) = CliRunner.Run(TrainArgs(dir));
        Assert.NotEqual(0, code);
        Assert.Contains("already holds a checkpoint", error);
        Assert.Equal(saved, File.ReadAllBytes(checkpoint));

        // a malformed training file names its line, and nothing is written
        string malformed = dir.Write("bad.tsv", "abc\tC B A\nabd D B A\n");
        (code, _, error) = CliRunner.Run("seq2seq", "train", "--train", malformed, "--dev", dir.File("dev.tsv"), "--out", dir.File("other"));
        Assert.NotEqual(0, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains("bad.tsv:2", error);
        Assert.False(Directory.Exists(dir.File("other")));

        // symbols the model never saw, at eval and at predict
        (code, _, error) = CliRunner.Run("seq2seq", "eval", checkpoint, "--data", dir.Write("unseen.tsv", "abz\tZ B A\n"));
        Assert.NotEqual(0, code);
        Assert.Contains("'z' was never seen", error);
        (code, _, error) = CliRunner.Run("seq2seq", "predict", checkpoint, "abq");
        Assert.NotEqual(0, code);
        Assert.Contains("'q' was never seen", error);

        // an empty source, an empty file, impossible options
        (code, _, error) = CliRunner.Run("seq2seq", "predict", checkpoint, " ");
        Assert.NotEqual(0, code);
        Assert.Contains("empty", error);
        (code, _, error) = CliRunner.Run("seq2seq", "eval", checkpoint, "--data", dir.Write("empty.tsv", ""));
        Assert.NotEqual(0, code);
        Assert.Contains("no SOURCE<TAB>TARGET", error);
        (code, _, error) = CliRunner.Run("seq2seq", "eval", checkpoint, "--data", dir.File("dev.tsv"), "--beam", "0");
        Assert.NotEqual(0, code);
        Assert.Contains("--beam", error);

        // a checkpoint of another model kind (a character language model)
        string text = dir.Write("text.txt", TempDirectory.SampleText(10));
        Assert.Equal(0, CliRunner.Run("train", "--text", text, "--out", dir.File("lm"), "--hidden", "8", "--seq-length", "16", "--batch-size", "4", "--steps", "1", "--eval-every", "1").ExitCode);
        (code, _, error) = CliRunner.Run("seq2seq", "predict", dir.File("lm"), "abc");
        Assert.NotEqual(0, code);
        Assert.Contains("expected a seq2seq/1 checkpoint", error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Equal(saved, File.ReadAllBytes(checkpoint));
    }

    [Fact]
    public void EveryVerbHasHelp()
    {
        foreach (var verb in new[] { "train", "eval", "predict" })
        {
            var (code, output, _) = CliRunner.Run("seq2seq", verb, "--help");
            Assert.Equal(0, code);
            Assert.Contains("--", output);
            Assert.DoesNotContain("--beam  ", output.Replace("--beam <beam>", ""));
        }
    }
}
