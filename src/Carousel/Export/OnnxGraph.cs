namespace Carousel.Export;

/// <summary>One exported ONNX model: a serialized ModelProto and what it is for.</summary>
/// <param name="Role">What the graph computes: "sequence", "step", "classifier", "tagger", "encoder" or "decoder-step".</param>
/// <param name="FileSuffix">Added to the file name before ".onnx" when written beside the others ("" for the main graph, "-step", "-encoder", ...).</param>
/// <param name="Model">The ONNX model bytes (ModelProto), as ONNX Runtime's InferenceSession reads them.</param>
/// <param name="Signature">Its inputs and outputs with shapes, one line each, as the graph's doc string also holds them.</param>
public sealed record OnnxGraph(string Role, string FileSuffix, byte[] Model, string Signature);
