using Carousel.Training;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;

namespace Carousel.Tests.Cli;

[Collection(CliCollection.Name)]
public class CharCommandTests
{
    // A small training command; options in `more` replace the defaults of the same name.
    private static string[] TinyTrain(string text, string dir, params string[] more)
    {
        var args = new List<string> { "train", "--text", text, "--out", dir };
        string[] defaults = ["--hidden", "16", "--layers", "1", "--seq-length", "10", "--batch-size", "4", "--steps", "20", "--eval-every", "10"];
        for (int i = 0; i < defaults.Length; i += 2)
            if (!more.Contains(defaults[i])) args.AddRange([defaults[i], defaults[i + 1]]);
        args.AddRange(more);
        return [.. args];
    }

    [Fact]
    public void TrainSampleAndEvalRunEndToEnd()
    {
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText());
        string dir = scratch.File("run");
        var (code, output, error) = CliRunner.Run(TinyTrain(text, dir));
        Assert.True(code == 0, error);
        Assert.Contains("Done: 20 steps", output);
        Assert.True(File.Exists(Path.Combine(dir, "checkpoint.safetensors")));
        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));
        var metrics = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"));
        Assert.Equal(2, metrics.Length);
        Assert.Contains("\"val_loss\"", metrics[1]);

        var (sampleCode, sample, _) = CliRunner.Run("sample", dir, "--prime", "the ", "--length", "30", "--seed", "4");
        Assert.Equal(0, sampleCode);
        Assert.StartsWith("the ", sample);
        Assert.True(sample.TrimEnd('\n').Length >= 30);
        var (_, again, _) = CliRunner.Run("sample", dir, "--prime", "the ", "--length", "30", "--seed", "4");
        Assert.Equal(sample, again);

        var (evalCode, json, _) = CliRunner.Run("eval", dir, "--text", text, "--json");
        Assert.Equal(0, evalCode);
        Assert.Contains("\"bits_per_char\"", json);
    }

    [Fact]
    public void Bfloat16WeightsSampleAndScoreCloseToFloat32()
    {
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText());
        string dir = scratch.File("run");
        var (code, _, error) = CliRunner.Run(TinyTrain(text, dir, "--hidden", "32"));
        Assert.True(code == 0, error);

        var (sampleCode, sample, sampleError) = CliRunner.Run("sample", dir, "--prime", "the ", "--length", "30", "--weights", "bf16");
        Assert.True(sampleCode == 0, sampleError);
        Assert.StartsWith("the ", sample);

        double Nats(string weights)
        {
            var (evalCode, json, evalError) = CliRunner.Run("eval", dir, "--text", text, "--json", "--weights", weights);
            Assert.True(evalCode == 0, evalError);
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            Assert.Equal(weights, doc.RootElement.GetProperty("weights").GetString());
            return doc.RootElement.GetProperty("nats_per_char").GetDouble();
        }
        double exact = Nats("fp32"), rounded = Nats("bf16");
        Assert.NotEqual(exact, rounded);              // the weights were rounded
        Assert.InRange(Math.Abs(exact - rounded), 0, 0.01);

        var (badCode, _, badError) = CliRunner.Run("sample", dir, "--weights", "fp16");
        Assert.Equal(2, badCode);
        Assert.Contains("--weights must be fp32 or bf16", badError);
        // The impossible option is said before any file is read, even a missing one.
        var (missingCode, _, missingError) = CliRunner.Run("eval", scratch.File("nothing-here"), "--text", text, "--weights", "fp16");
        Assert.Equal(2, missingCode);
        Assert.Contains("--weights must be fp32 or bf16", missingError);
    }

    public static TheoryData<string, string[]> BadTrainOptions() => new()
    {
        { "--hidden must be positive", ["--hidden", "-3"] },
        { "--steps must be positive", ["--steps", "0"] },
        { "--dropout must be in [0, 1)", ["--dropout", "1.5"] },
        { "Unknown --optimizer", ["--optimizer", "lbfgs"] },
        { "Unknown cell", ["--cell", "transformer"] },
        { "Unknown --batching", ["--batching", "shuffled"] },
        { "--lr must be positive", ["--lr", "0"] },
    };

    [Theory]
    [MemberData(nameof(BadTrainOptions))]
    public void ImpossibleTrainOptionsAreRefusedClearly(string message, string[] options)
    {
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText());
        var (code, _, error) = CliRunner.Run(TinyTrain(text, scratch.File("run"), options));
        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
        Assert.False(Directory.Exists(scratch.File("run")));
    }

    [Fact]
    public void BadTextFilesAreRefusedClearly()
    {
        using var scratch = new TempDirectory();
        string empty = scratch.Write("empty.txt", "");
        string shortText = scratch.Write("short.txt", "tiny");
        File.WriteAllBytes(scratch.File("latin1.txt"), [0x48, 0xE9, 0x6C, 0x6C, 0x6F, 0xFF, 0x0A]);
        foreach (var (path, message) in new[]
                 {
                     (scratch.File("missing.txt"), "does not exist"), (empty, "is empty"),
                     (scratch.File("latin1.txt"), "not valid UTF-8"), (shortText, "one window needs"),
                 })
        {
            var (code, _, error) = CliRunner.Run(TinyTrain(path, scratch.File("run")));
            Assert.NotEqual(0, code);
            Assert.Contains(message, error);
        }
    }

    [Fact]
    public void BadSamplingInputIsRefusedWithoutOutput()
    {
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText());
        string dir = scratch.File("run");
        Assert.Equal(0, CliRunner.Run(TinyTrain(text, dir)).ExitCode);
        foreach (var (args, message) in new (string[], string)[]
                 {
                     (["sample", dir, "--prime", "Zebra"], "error: --prime: Character 'Z' at position 0 is not in the model's vocabulary"),
                     (["sample", dir, "--temperature", "0"], "--temperature must be > 0"),
                     (["sample", dir, "--temperature", "-1"], "--temperature must be > 0"),
                     (["sample", dir, "--top-k", "-2"], "--top-k must be ≥ 0"),
                     (["sample", dir, "--length", "-5"], "--length must be ≥ 0"),
                     (["sample", scratch.File("nowhere")], "No checkpoint"),
                 })
        {
            var (code, output, error) = CliRunner.Run(args);
            Assert.NotEqual(0, code);
            Assert.Contains(message, error);
            Assert.Equal("", output);
        }
    }

    [Fact]
    public void CorruptTruncatedAndForeignCheckpointsAreRefused()
    {
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText());
        string dir = scratch.File("run");
        Assert.Equal(0, CliRunner.Run(TinyTrain(text, dir)).ExitCode);
        byte[] good = File.ReadAllBytes(Path.Combine(dir, "checkpoint.safetensors"));
        File.WriteAllBytes(scratch.File("truncated.safetensors"), good[..(good.Length / 2)]);
        File.WriteAllBytes(scratch.File("garbage.safetensors"), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        string foreign = Path.Combine(AppContext.BaseDirectory, "fixtures", "golden", "lstm_1layer.safetensors");
        foreach (var (path, message) in new[]
                 {
                     (scratch.File("truncated.safetensors"), "truncated.safetensors"),
                     (scratch.File("garbage.safetensors"), "garbage.safetensors"),
                     (foreign, "expected a char-language-model/2 checkpoint"),
                 })
        {
            var (code, _, error) = CliRunner.Run("sample", path, "--length", "5");
            Assert.NotEqual(0, code);
            Assert.Contains(message, error);
            var (evalCode, _, evalError) = CliRunner.Run("eval", path, "--text", text);
            Assert.NotEqual(0, evalCode);
            Assert.Contains(message, evalError);
        }
    }

    [Fact]
    public void TrainingNeverOverwritesAnExistingCheckpointUnlessResuming()
    {
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText());
        string dir = scratch.File("run");
        Assert.Equal(0, CliRunner.Run(TinyTrain(text, dir)).ExitCode);
        string checkpoint = Path.Combine(dir, "checkpoint.safetensors");
        byte[] before = File.ReadAllBytes(checkpoint);
        var (code, _, error) = CliRunner.Run(TinyTrain(text, dir));
        Assert.NotEqual(0, code);
        Assert.Contains("already holds a checkpoint", error);
        Assert.Equal(before, File.ReadAllBytes(checkpoint));

        // Resuming with another text (other characters) is refused, and the checkpoint stays as it was.
        string other = scratch.Write("other.txt", new string('x', 500) + "QQQ");
        var (resumeCode, _, resumeError) = CliRunner.Run(TinyTrain(other, dir, "--resume"));
        Assert.NotEqual(0, resumeCode);
        Assert.Contains("vocabulary", resumeError);
        Assert.Equal(before, File.ReadAllBytes(checkpoint));
    }
}
