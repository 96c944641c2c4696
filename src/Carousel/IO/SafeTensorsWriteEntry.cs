using System.Runtime.InteropServices;
using Carousel.Tensors;

namespace Carousel.IO;

/// <summary>
/// A named array to be written to a safetensors file: float32 (model weights), float64 (reference values,
/// optimizer state kept in double) or int64 (token ids, step counters). The array is referenced, not copied,
/// so it is written as it is when <see cref="SafeTensors.Write(string, IEnumerable{SafeTensorsWriteEntry}, IReadOnlyDictionary{string, string}?)"/> runs.
/// </summary>
public sealed class SafeTensorsWriteEntry
{
    private readonly Array values;

    private SafeTensorsWriteEntry(string name, SafeTensorsDType dtype, Array values, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        int expected = Tensor.CheckedLength(shape);
        if (values.Length != expected)
            throw new ArgumentException($"{name}: shape [{string.Join(", ", shape)}] needs {expected} values, got {values.Length}.");
        Name = name;
        DType = dtype;
        this.values = values;
        Shape = (int[])shape.Clone();
    }

    /// <summary>The name the tensor gets in the file.</summary>
    public string Name { get; }

    /// <summary>The element type it is written as: F32, F64 or I64.</summary>
    public SafeTensorsDType DType { get; }

    /// <summary>The dimensions, outermost first; empty for a scalar.</summary>
    public int[] Shape { get; }

    /// <summary>The size of the tensor's data in the file, in bytes.</summary>
    public long ByteLength => (long)values.Length * DType.SizeInBytes();

    /// <summary>An F32 entry for a tensor, with its shape.</summary>
    public static SafeTensorsWriteEntry FromTensor(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return new(name, SafeTensorsDType.Float32, tensor.Data, tensor.Shape);
    }

    /// <summary>An F32 entry for float values of the given shape.</summary>
    public static SafeTensorsWriteEntry FromFloats(string name, float[] values, params int[] shape) =>
        new(name, SafeTensorsDType.Float32, values ?? throw new ArgumentNullException(nameof(values)), shape);

    /// <summary>An F64 entry for double values of the given shape.</summary>
    public static SafeTensorsWriteEntry FromDoubles(string name, double[] values, params int[] shape) =>
        new(name, SafeTensorsDType.Float64, values ?? throw new ArgumentNullException(nameof(values)), shape);

    /// <summary>An I64 entry for 64-bit integers of the given shape.</summary>
    public static SafeTensorsWriteEntry FromInt64s(string name, long[] values, params int[] shape) =>
        new(name, SafeTensorsDType.Int64, values ?? throw new ArgumentNullException(nameof(values)), shape);

    /// <summary>The values as little-endian bytes, without copying.</summary>
    internal ReadOnlySpan<byte> Bytes => values switch
    {
        float[] floats => MemoryMarshal.AsBytes(floats.AsSpan()),
        double[] doubles => MemoryMarshal.AsBytes(doubles.AsSpan()),
        long[] longs => MemoryMarshal.AsBytes(longs.AsSpan()),
        _ => throw new InvalidOperationException($"Unexpected array type {values.GetType()}."),
    };

    /// <summary>Name, dtype and shape for messages, e.g. "step I64 []".</summary>
    public override string ToString() => $"{Name} {DType.ToFormatName()} [{string.Join(", ", Shape)}]";
}
