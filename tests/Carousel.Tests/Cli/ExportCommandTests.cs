using Carousel.Cli;
using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;
using Carousel.Tests.Export;
using Carousel.Training;
using Carousel.Training.Char;
using Carousel.Training.EncoderDecoder;

namespace Carousel.Tests.Cli;

[Collection(CliCollection.Name)]
public class ExportCommandTests
{
    private const string Characters = "abc xyz";

    /// <summary>A char-model training directory as `train` leaves it, without training (the weights are the initial ones).</summary>
    private static CharLanguageModel SaveCharModel(string dir, CellKind cell)
    {
        var options = new CharTrainingOptions { Cell = cell, Hidden = 6, Layers = 2, Embedding = 4 };
        var vocabulary = CharVocabulary.Parse(Characters);
        var model = new CharLanguageModel(CharCheckpoint.ModelConfig(options, vocabulary.Count), new Rng(21));
        ModelCheckpoint.SaveToDirectory(dir, CharCheckpoint.Kind, model.NamedParameters(), null, CharCheckpoint.Metadata(options, vocabulary), 0);
        return model;
    }

    [Fact]
    public void ExportsACharModelThatOnnxRuntimeRunsAsCarouselDoes()
    {
        using var scratch = new TempDirectory();
        string run = scratch.File("run");
        var model = SaveCharModel(run, CellKind.Lstm);
        string onnx = scratch.File("out.onnx");

        var (code, output, error) = CliRunner.Run("export", run, "--onnx", onnx);
        Assert.True(code == 0, error);
        string step = scratch.File("out-step.onnx");
        Assert.Contains(onnx, output);
        Assert.Contains(step, output);
        Assert.Contains("logits float [B, 7]", output);   // the step graph's signature, V = 7 characters

        // The file's step graph against the model's stepper, and the vocabulary carried along.
        var file = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(step));
        Assert.Equal(CharVocabulary.Parse(Characters).ToString(), file.MetadataProps.Single(p => p.Key == "carousel.vocabulary").Value);
        Assert.Equal("step", file.MetadataProps.Single(p => p.Key == "carousel.graph").Value);
        using var stepper = new CharModelStepper(model, threads: 1);
        using var ort = new Ort(File.ReadAllBytes(step));
        var h = new float[2 * 6];
        var c = new float[2 * 6];
        foreach (int token in new[] { 0, 4, 2 })
        {
            var actual = ort.Run(("token", new long[] { token }, [1]), ("h_in", h, [2, 1, 6]), ("c_in", c, [2, 1, 6]));
            Ort.AssertClose(stepper.Step(token), actual["logits"], "logits");
            (h, c) = (actual["h_out"], actual["c_out"]);
        }
    }

    [Fact]
    public void ExportsASeq2SeqModelAsEncoderAndDecoderFiles()
    {
        using var scratch = new TempDirectory();
        string run = scratch.File("run");
        var source = TokenVocabulary.FromSymbols([.. TokenVocabulary.Reserved, "a", "b"]);
        var target = TokenVocabulary.FromSymbols([.. TokenVocabulary.Reserved, "X", "Y", "Z"]);
        var model = new Seq2Seq(new Seq2SeqConfig
        {
            SourceVocabulary = source.Count, TargetVocabulary = target.Count, Embedding = 3, EncoderHidden = 4, DecoderHidden = 5,
        }, new Rng(2));
        Seq2SeqCheckpoint.Save(run, model, source, target, SourceTokens.Chars, null, 0);

        var (code, output, error) = CliRunner.Run("export", run, "--onnx", scratch.File("g2p.onnx"));
        Assert.True(code == 0, error);
        Assert.True(File.Exists(scratch.File("g2p-encoder.onnx")) && File.Exists(scratch.File("g2p-decoder.onnx")), output);
        Assert.False(File.Exists(scratch.File("g2p.onnx")));
        using var decoder = new Ort(File.ReadAllBytes(scratch.File("g2p-decoder.onnx")));
        Assert.Equal(["previous", "h_in", "c_in", "memory", "keys", "source_lengths"], decoder.InputNames);
    }

    [Fact]
    public void TheLstmWithoutForgetGateIsExportedAsScanLoops()
    {
        using var scratch = new TempDirectory();
        string run = scratch.File("run");
        var model = SaveCharModel(run, CellKind.LstmNoForgetGate);
        var (code, _, error) = CliRunner.Run("export", run, "--onnx", scratch.File("m.onnx"));
        Assert.True(code == 0, error);
        var file = Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(scratch.File("m.onnx")));
        Assert.Contains(file.Graph.Node, n => n.OpType == "Scan");
        int[] ids = [1, 2, 3, 0, 6, 5];   // [T = 3, B = 2]
        model.Run(ids, null, 3, 2);
        using var ort = new Ort(File.ReadAllBytes(scratch.File("m.onnx")));
        var actual = ort.Run(("ids", Ort.Longs(ids), [3, 2]), ("h_in", new float[2 * 2 * 6], [2, 2, 6]), ("c_in", new float[2 * 2 * 6], [2, 2, 6]));
        Ort.AssertClose(model.Logits, actual["logits"], "logits");
    }

    [Fact]
    public void BadInputGivesOneErrorLine()
    {
        using var scratch = new TempDirectory();
        string run = scratch.File("run");
        SaveCharModel(run, CellKind.Gru);

        var missing = CliRunner.Run("export", scratch.File("nothing"), "--onnx", scratch.File("m.onnx"));
        Assert.Equal(CommandRunner.Failure, missing.ExitCode);
        Assert.Contains("No checkpoint", missing.Error);

        // model.safetensors holds weights alone: not a checkpoint whose kind says how to export it.
        var weightsOnly = CliRunner.Run("export", Path.Combine(run, ModelCheckpoint.WeightsFileName), "--onnx", scratch.File("m.onnx"));
        Assert.Equal(CommandRunner.Failure, weightsOnly.ExitCode);
        Assert.Contains("not a Carousel checkpoint", weightsOnly.Error);

        // A kind the exporter does not know (the conditioned generator): named, refused before its weights are read.
        string generator = scratch.File("generator");
        ModelCheckpoint.SaveToDirectory(generator, Carousel.Training.Generation.GeneratorCheckpoint.Kind, [], null, new Dictionary<string, string>(), 0);
        var unknown = CliRunner.Run("export", generator, "--onnx", scratch.File("m.onnx"));
        Assert.Equal(CommandRunner.Failure, unknown.ExitCode);
        Assert.Contains("not conditioned-generator/1", unknown.Error);

        string text = scratch.Write("text.txt", "not a checkpoint");
        Assert.Equal(CommandRunner.Failure, CliRunner.Run("export", text, "--onnx", scratch.File("m.onnx")).ExitCode);

        Assert.Equal(CommandRunner.UsageError, CliRunner.Run("export", run, "--onnx", "").ExitCode);
        Assert.Equal(CommandRunner.UsageError, CliRunner.Run("export", run).ExitCode);
        var directory = CliRunner.Run("export", run, "--onnx", scratch.Path);
        Assert.Equal(CommandRunner.UsageError, directory.ExitCode);
        Assert.Contains("names a directory", directory.Error);
        Assert.Equal(CommandRunner.UsageError, CliRunner.Run("export", run, "--onnx", scratch.File("new") + "/").ExitCode);
        Assert.False(File.Exists(scratch.File("m.onnx")));
    }

    [Fact]
    public void WritesIntoANewDirectoryAndNamesTheFilesAsGiven()
    {
        using var scratch = new TempDirectory();
        string run = scratch.File("run");
        SaveCharModel(run, CellKind.RnnTanh);
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, scratch.File(Path.Combine("out", "sub", "m.onnx")));
        var (code, output, error) = CliRunner.Run("export", run, "--onnx", relative);
        Assert.True(code == 0, error);
        Assert.True(File.Exists(scratch.File(Path.Combine("out", "sub", "m-step.onnx"))));
        Assert.Contains(Path.Combine(Path.GetDirectoryName(relative)!, "m-step.onnx") + " (step)", output);
    }
}
