using System.Diagnostics;
using Carousel.Export;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Tests.Export;

/// <summary>
/// The exported graphs pass ONNX's own checker (onnx 1.12, Debian's python3-onnx), with full shape inference: a second
/// independent reader, stricter about the IR version, the opset and each operator's schema than ONNX Runtime. Where
/// python3 has no onnx package the test is skipped and says so.
/// </summary>
public class OnnxCheckerTests
{
    private const string Check = """
        import sys, onnx
        for path in sys.argv[1:]:
            onnx.checker.check_model(onnx.load(path), full_check=True)
        print(onnx.__version__)
        """;

    [SkippableFact]
    public void EveryKindOfGraphPassesTheOnnxChecker()
    {
        string? python = PythonWithOnnx();
        Skip.If(python is null, "python3 with the onnx package was not found (Debian: apt-get install python3-onnx); ONNX Runtime still checks every graph.");

        using var scratch = new TempDirectory();
        var rng = new Rng(1);
        var graphs = new List<OnnxGraph>();
        graphs.AddRange(OnnxExport.CharLanguageModel(new CharLanguageModel(new CharLanguageModelConfig(5, CellKind.LstmPeephole, 4, 2), rng)));
        graphs.Add(OnnxExport.Classifier(new SequenceClassifier(new SequenceClassifierConfig(6, 2, CellKind.Gru, 4, 2, Pooling: SequencePooling.Mean), rng)));
        graphs.Add(OnnxExport.Classifier(new SequenceClassifier(new SequenceClassifierConfig(6, 2, CellKind.RnnRelu, 4, Pooling: SequencePooling.Max), rng)));
        graphs.Add(OnnxExport.Tagger(new SequenceTagger(new RecurrentOptions(CellKind.Lstm, 3, 4, Bidirectional: true), 2, rng)));
        graphs.Add(OnnxExport.Tagger(new SequenceTagger(new RecurrentOptions(CellKind.LstmNoForgetGate, 3, 4, 2, Bidirectional: true), 2, rng)));
        graphs.AddRange(OnnxExport.CharLanguageModel(new CharLanguageModel(new CharLanguageModelConfig(5, CellKind.LstmNoForgetGate, 4, 2), rng)));
        graphs.AddRange(OnnxExport.Seq2Seq(new Seq2Seq(new Seq2SeqConfig { SourceVocabulary = 5, TargetVocabulary = 6, Embedding = 3, EncoderHidden = 4, DecoderHidden = 4 }, rng)));
        var paths = graphs.Select((g, i) => scratch.File($"{i}-{g.Role}.onnx")).ToList();
        for (int i = 0; i < graphs.Count; i++) File.WriteAllBytes(paths[i], graphs[i].Model);

        var (code, output) = RunPython(python!, ["-c", Check, .. paths]);
        Assert.True(code == 0, output);
    }

    /// <summary>The checker does find a broken graph: the test above can fail.</summary>
    [SkippableFact]
    public void TheCheckerRefusesABrokenGraph()
    {
        string? python = PythonWithOnnx();
        Skip.If(python is null, "python3 with the onnx package was not found (Debian: apt-get install python3-onnx).");
        using var scratch = new TempDirectory();
        var model = Onnx.ModelProto.Parser.ParseFrom(OnnxExport.Tagger(new SequenceTagger(new RecurrentOptions(CellKind.Gru, 3, 4), 2, new Rng(1))).Model);
        model.Graph.Node.Single(n => n.OpType == "GRU").Attribute.Single(a => a.Name == "hidden_size").I = 0;
        model.Graph.Node.Single(n => n.OpType == "GRU").Input[1] = "no_such_value";
        string path = scratch.File("broken.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(model));
        var (code, _) = RunPython(python!, ["-c", Check, path]);
        Assert.NotEqual(0, code);
    }

    // Debian's python3 first (the onnx package lives there), then whatever python3 the PATH finds.
    private static string? PythonWithOnnx()
    {
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                if (RunPython(candidate, ["-c", "import onnx"]).Code == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed
            }
        }
        return null;
    }

    private static (int Code, string Output) RunPython(string python, string[] args)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }
}
