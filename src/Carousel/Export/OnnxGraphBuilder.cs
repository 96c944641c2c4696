using System.Runtime.InteropServices;
using Carousel.Tensors;
using Google.Protobuf;
using Onnx;

namespace Carousel.Export;

/// <summary>
/// Builds one ONNX graph through ONNX's own protobuf messages (generated from onnx.proto): named inputs and outputs
/// with symbolic dimensions ("T", "B"), float weights as initializers, and nodes of the default operator set.
/// Every value gets a fresh name from <see cref="Fresh"/>, so helpers can be chained without clashes.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>IR version 8 and opset 17: what both the onnx 1.12 checker and ONNX Runtime 1.32 accept.</summary>
    public const long IrVersion = 8, Opset = 17;

    private readonly GraphProto _graph;
    private readonly Dictionary<string, int> _counters;

    public OnnxGraphBuilder(string name) : this(name, []) { }

    private OnnxGraphBuilder(string name, Dictionary<string, int> counters)
    {
        _graph = new GraphProto { Name = name };
        _counters = counters;
    }

    /// <summary>
    /// A graph nested in this one (a Scan's body): it may read this graph's values by name, and its own names come from
    /// the same counters, so that no name is defined twice across the scopes, as ONNX requires.
    /// </summary>
    public OnnxGraphBuilder Subgraph(string name) => new(Fresh(name), _counters);

    /// <summary>The graph built so far, for a graph-valued attribute.</summary>
    public GraphProto Graph => _graph;

    /// <summary>A name not used before in this graph, from <paramref name="stem"/>.</summary>
    public string Fresh(string stem)
    {
        _counters.TryGetValue(stem, out int n);
        _counters[stem] = n + 1;
        return n == 0 ? stem : $"{stem}_{n}";
    }

    /// <summary>A graph input; dims are numbers or symbolic names ("T", "B").</summary>
    public string Input(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        _graph.Input.Add(ValueInfo(name, type, dims));
        _counters[name] = 1;
        return name;
    }

    /// <summary>Makes <paramref name="value"/> a graph output named <paramref name="name"/> (through Identity when named otherwise).</summary>
    public void Output(string value, string name, TensorProto.Types.DataType type, params object[] dims)
    {
        if (value != name) Node("Identity", [value], [name]);
        _graph.Output.Add(ValueInfo(name, type, dims));
    }

    /// <summary>A float initializer of the given shape.</summary>
    public string Weight(string stem, ReadOnlySpan<float> values, params long[] dims)
    {
        long count = 1;
        foreach (long d in dims) count *= d;
        if (count != values.Length) throw new ArgumentException($"Initializer {stem}: {values.Length} values for shape [{string.Join(", ", dims)}].");
        // raw_data is little-endian by ONNX's definition.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX export needs a little-endian machine.");
        var tensor = new TensorProto { Name = Fresh(stem), DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values)) };
        tensor.Dims.AddRange(dims);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>An int64 initializer (shapes, axes, indices): a vector, or a scalar when <paramref name="scalar"/>.</summary>
    public string Int64s(string stem, long[] values, bool scalar = false)
    {
        var tensor = new TensorProto { Name = Fresh(stem), DataType = (int)TensorProto.Types.DataType.Int64 };
        if (!scalar) tensor.Dims.Add(values.Length);
        tensor.Int64Data.AddRange(values);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A float scalar initializer.</summary>
    public string Scalar(string stem, float value)
    {
        var tensor = new TensorProto { Name = Fresh(stem), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.FloatData.Add(value);
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a node; "" stands for an optional input left out. Returns its outputs' names.</summary>
    public string[] Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = Fresh(op) };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return outputs;
    }

    /// <summary>A node with one output, named fresh from <paramref name="stem"/>.</summary>
    public string Op(string op, string stem, string[] inputs, params AttributeProto[] attributes) =>
        Node(op, inputs, [Fresh(stem)], attributes)[0];

    public static AttributeProto Attribute(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Attribute(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Attribute(string name, GraphProto graph) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = graph };

    public static AttributeProto Attribute(string name, long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Attribute(string name, string[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        foreach (var v in values) a.Strings.Add(ByteString.CopyFromUtf8(v));
        return a;
    }

    // Small helpers for the shapes the exporter moves between.

    /// <summary>Unsqueeze at the given axes.</summary>
    public string Unsqueeze(string x, params long[] axes) => Op("Unsqueeze", x + "_unsqueezed", [x, Int64s("axes", axes)]);

    /// <summary>Squeeze the given axes.</summary>
    public string Squeeze(string x, params long[] axes) => Op("Squeeze", x + "_squeezed", [x, Int64s("axes", axes)]);

    /// <summary>Transpose by <paramref name="perm"/>.</summary>
    public string Transpose(string x, params long[] perm) => Op("Transpose", x + "_transposed", [x], Attribute("perm", perm));

    /// <summary>Reshape to <paramref name="shape"/> (0 keeps a dimension, −1 infers one).</summary>
    public string Reshape(string x, params long[] shape) => Op("Reshape", x + "_reshaped", [x, Int64s("shape", shape)]);

    /// <summary>x [..., In] · Wᵀ + b for weight [Out, In] (PyTorch's Linear) over any leading dimensions.</summary>
    public string Linear(string x, string stem, Tensor weight, Tensor? bias)
    {
        string y = Op("MatMul", stem, [x, TransposedWeight(stem + ".weight_t", weight)]);
        return bias is null ? y : Op("Add", stem, [y, Weight(stem + ".bias", bias.Data, weight.Dim(0))]);
    }

    /// <summary>An initializer holding Wᵀ [In, Out] of a weight [Out, In], the right operand of MatMul.</summary>
    public string TransposedWeight(string stem, Tensor weight)
    {
        int output = weight.Dim(0), input = weight.Dim(1);
        var transposed = new float[input * output];
        for (int o = 0; o < output; o++)
            for (int i = 0; i < input; i++) transposed[i * output + o] = weight.Data[o * input + i];
        return Weight(stem, transposed, input, output);
    }

    /// <summary>The dimension <paramref name="axis"/> of x as an int64 scalar.</summary>
    public string Dimension(string x, long axis) =>
        Op("Gather", x + "_dim", [Op("Shape", x + "_shape", [x]), Int64s("axis", [axis], scalar: true)]);

    /// <summary>
    /// A bool mask [T, B]: step t of row b is inside its sequence (t &lt; lengths[b]); T is dimension
    /// <paramref name="stepAxis"/> of <paramref name="like"/>, lengths an int32 [B].
    /// </summary>
    public string StepMask(string like, long stepAxis, string lengths)
    {
        string steps = Op("Range", "steps", [Int64s("zero", [0], scalar: true), Dimension(like, stepAxis), Int64s("one", [1], scalar: true)]);
        string lengths64 = Op("Cast", "lengths_int64", [lengths], Attribute("to", (long)TensorProto.Types.DataType.Int64));
        return Op("Less", "step_mask", [Unsqueeze(steps, 1), Unsqueeze(lengths64, 0)]);   // [T, 1] < [1, B] → [T, B]
    }

    /// <summary>The model around the graph, with Carousel as producer and the given metadata.</summary>
    public byte[] ToModel(IReadOnlyDictionary<string, string> metadata, string docString)
    {
        _graph.DocString = docString;
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Carousel",
            ProducerVersion = typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "",
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model.ToByteArray();
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string symbol ? new TensorShapeProto.Types.Dimension { DimParam = symbol }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
