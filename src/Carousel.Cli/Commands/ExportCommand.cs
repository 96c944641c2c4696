using System.CommandLine;
using Carousel.Export;

namespace Carousel.Cli.Commands;

/// <summary>`carousel export DIR --onnx model.onnx`: a trained model as ONNX graphs, for ONNX Runtime and other readers.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Argument<string>("DIR") { Description = "A training directory (its checkpoint.safetensors) or a checkpoint file: char model, classifier, tagger or seq2seq." };
        var onnx = new Option<string>("--onnx")
        {
            Description = "Where to write the ONNX model. A char model also writes its step graph beside it (model-step.onnx), a seq2seq model its "
                + "encoder and decoder-step graphs (model-encoder.onnx, model-decoder.onnx).",
            Required = true,
            HelpName = "PATH",
        };
        var command = new Command("export", $"Export a trained model to ONNX (IR version {OnnxExport.IrVersion}, opset {OnnxExport.Opset}; "
            + "ONNX's own LSTM, GRU and RNN operators), and print each graph's inputs and outputs.")
        {
            checkpoint, onnx,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            string path = parse.GetValue(onnx)!;
            if (Path.GetFileName(path) == "") throw new UsageException($"--onnx needs a file name, got '{path}'.");
            if (Directory.Exists(path)) throw new UsageException($"--onnx names a directory ({path}); give a file name such as {Path.Combine(path, "model.onnx")}.");
            IReadOnlyList<OnnxGraph> graphs;
            try
            {
                graphs = OnnxExport.FromCheckpoint(parse.GetValue(checkpoint)!);
            }
            catch (NotSupportedException e)
            {
                // The model is fine, but the exporter does not know its kind (the conditioned generator) or its learned initial state.
                Console.Error.WriteLine($"error: {e.Message}");
                return CommandRunner.Failure;
            }
            var files = OnnxExport.Write(graphs, path);
            for (int i = 0; i < graphs.Count; i++)
            {
                Console.WriteLine($"{files[i]} ({graphs[i].Role})");
                foreach (var line in graphs[i].Signature.Split('\n')) Console.WriteLine("  " + line);
            }
            return 0;
        }));
        return command;
    }
}
