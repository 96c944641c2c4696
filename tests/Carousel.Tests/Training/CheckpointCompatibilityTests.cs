using Carousel.IO;
using Carousel.Tests.Cli;
using Carousel.Training;
using Carousel.Training.Char;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;
using Carousel.Training.Tagging;

namespace Carousel.Tests.Training;

/// <summary>
/// Checkpoints written before the one training loop (fixtures/checkpoints-v1, made by commit 500145d) still load, and a
/// run saved by that code continues with --resume to exactly the weights and optimizer state that code reached.
/// </summary>
[Collection(CliCollection.Name)]
public class CheckpointCompatibilityTests
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "checkpoints-v1");

    private static string Data(string name) => Path.Combine(Fixtures, "data", name);

    /// <summary>The arguments each fixture was trained with, with the longer length it was resumed to.</summary>
    public static TheoryData<string, string[]> Runs => new()
    {
        { "char", ["train", "--text", Data("text.txt"), "--hidden", "8", "--layers", "2", "--seq-length", "16", "--batch-size", "4", "--steps", "20",
                   "--eval-every", "5", "--dropout", "0.1", "--batching", "stream", "--threads", "1"] },
        { "classify", ["classify", "train", "--train-lines", $"a={Data("a.txt")}", "--train-lines", $"b={Data("b.txt")}", "--hidden", "8", "--epochs", "2",
                       "--batch-size", "16", "--dropout", "0.1", "--layers", "2"] },
        { "tag", ["tag", "train", "--truecase", Data("text.txt"), "--hidden", "8", "--layers", "1", "--steps", "20", "--eval-every", "5",
                  "--dev-fraction", "0.1", "--batch-size", "8", "--max-length", "64", "--threads", "1"] },
        { "generate", ["generate", "train", "--train-lines", $"a={Data("a.txt")}", "--train-lines", $"b={Data("b.txt")}", "--hidden", "8", "--epochs", "2",
                       "--batch-size", "16"] },
        { "seq2seq", ["seq2seq", "train", "--train", Data("g2p-train.tsv"), "--dev", Data("g2p-dev.tsv"), "--hidden", "8", "--decoder-hidden", "8",
                      "--embedding", "4", "--epochs", "2", "--batch-size", "16", "--dropout", "0.1"] },
    };

    [Theory]
    [MemberData(nameof(Runs))]
    public void AnEarlierRunResumesToTheSameWeightsAndOptimizerState(string kind, string[] args)
    {
        using var scratch = new TempDirectory();
        string dir = scratch.File(kind);
        CopyDirectory(Path.Combine(Fixtures, kind, "before"), dir);
        var (code, _, error) = CliRunner.Run([.. args, "--out", dir, "--resume"]);
        Assert.True(code == 0, error);

        // What that code wrote when it continued the same run: the char model's final weights, the others' last.safetensors.
        string expected = kind == "char" ? Path.Combine(Fixtures, kind, "resumed-model.safetensors") : Path.Combine(Fixtures, kind, "resumed-last.safetensors");
        var reference = SafeTensors.Read(expected);
        var resumed = SafeTensors.Read(LastCheckpoint.PathIn(dir));
        Assert.NotEmpty(reference.Names);
        foreach (var entry in reference.Entries)
        {
            if (entry.DType == SafeTensorsDType.Float32)
                CloseFloats(entry, resumed[entry.Name], $"{kind}: {entry.Name}");
            else
                Assert.True(entry.RawBytes.Span.SequenceEqual(resumed[entry.Name].RawBytes.Span), $"{kind}: {entry.Name} differs");
        }
    }

    // Floats agree to rounding, not bit for bit: the character model (the generator's too) now reads its first layer's
    // input projection from the table E·W_ihᵀ and takes dW_ih, dE through it (the same sums in another order), and the LSTM
    // row computes its gates with its own float exp (GateMath) instead of TensorPrimitives' (a last-bit difference). Everything else — step, stream position, random states — still matches exactly,
    // and a wrong optimizer state or position would move the weights by far more than this tolerance.
    private static void CloseFloats(SafeTensorsEntry expected, SafeTensorsEntry actual, string what)
    {
        var e = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(expected.RawBytes.Span);
        var a = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(actual.RawBytes.Span);
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++) Numerics.Close(e[i], a[i], 1e-4, 1e-6, $"{what}[{i}]");
    }

    [Fact]
    public void EarlierCheckpointsLoad()
    {
        var @char = CharCheckpoint.Load(Path.Combine(Fixtures, "char", "before"));
        Assert.Equal(10, @char.Step);
        Assert.Equal(8, @char.Options.Hidden);
        Assert.Equal(["a", "b"], ClassifierCheckpoint.Load(Path.Combine(Fixtures, "classify", "before")).Labels);
        Assert.Equal(1, ClassifierCheckpoint.Load(Path.Combine(Fixtures, "classify", "before")).Epoch);
        Assert.Equal(10, TaggerCheckpoint.Load(Path.Combine(Fixtures, "tag", "before")).Step);
        Assert.Equal(["a", "b"], GeneratorCheckpoint.Load(Path.Combine(Fixtures, "generate", "before")).Labels);
        var seq2seq = Seq2SeqCheckpoint.Load(Path.Combine(Fixtures, "seq2seq", "before"));
        Assert.Equal(8, seq2seq.Model.Config.DecoderHidden);
        // saved before input feeding: read as a model without it, whose decoder reads embeddings only, and it decodes
        Assert.False(seq2seq.Model.Config.InputFeeding);
        Assert.Equal(seq2seq.Model.Config.Embedding, seq2seq.Model.Decoder.Options.InputSize);
        Assert.Single(Carousel.Training.EncoderDecoder.Seq2SeqEvaluator.Decode(seq2seq.Model, [[3, 4, 5]], beams: 2)[0].Take(1));
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
