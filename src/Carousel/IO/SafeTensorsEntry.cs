using System.Numerics;
using System.Runtime.InteropServices;
using Carousel.Tensors;

namespace Carousel.IO;

/// <summary>
/// One tensor read from a safetensors file: its name, dtype, shape and raw little-endian bytes, with conversions
/// to the element types Carousel works in. Conversions copy; the entry itself never changes.
/// </summary>
public sealed class SafeTensorsEntry
{
    private readonly byte[] data;
    private readonly string sourceName;

    internal SafeTensorsEntry(string name, SafeTensorsDType dtype, int[] shape, byte[] data, string sourceName)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        this.data = data;
        this.sourceName = sourceName;
        ElementCount = data.Length / dtype.SizeInBytes();
    }

    /// <summary>The tensor's name in the file, e.g. "rnn.weight_ih_l0".</summary>
    public string Name { get; }

    /// <summary>The element type the file stores it in.</summary>
    public SafeTensorsDType DType { get; }

    /// <summary>The dimensions, outermost first; empty for a scalar. Do not modify the array.</summary>
    public int[] Shape { get; }

    /// <summary>The number of elements: the product of <see cref="Shape"/>.</summary>
    public int ElementCount { get; }

    /// <summary>The tensor's bytes exactly as stored in the file (little-endian, row-major).</summary>
    public ReadOnlyMemory<byte> RawBytes => data;

    /// <summary>A new float32 tensor; other float and integer dtypes are converted (F64 rounds to nearest).</summary>
    public Tensor ToTensor()
    {
        var values = new float[ElementCount];
        CopyTo(values);
        return new Tensor(values, Shape);
    }

    /// <summary>Converts into an existing buffer of exactly <see cref="ElementCount"/> floats (loading into a parameter without a temporary).</summary>
    public void CopyTo(Span<float> destination)
    {
        if (destination.Length != ElementCount)
            throw new ArgumentException($"{Name} has {ElementCount} values, the destination holds {destination.Length}.", nameof(destination));
        switch (DType)
        {
            case SafeTensorsDType.Float32: MemoryMarshal.Cast<byte, float>(data).CopyTo(destination); break;
            case SafeTensorsDType.Float16: System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(data), destination); break;
            case SafeTensorsDType.BFloat16: BFloat16ToSingle(MemoryMarshal.Cast<byte, ushort>(data), destination); break;
            default: ConvertNumbers(destination); break;
        }
    }

    /// <summary>The values as doubles; every dtype converts exactly except 64-bit integers beyond 2^53.</summary>
    public double[] ToDoubles()
    {
        var values = new double[ElementCount];
        switch (DType)
        {
            case SafeTensorsDType.Float64: MemoryMarshal.Cast<byte, double>(data).CopyTo(values); break;
            case SafeTensorsDType.BFloat16:
                var singles = new float[ElementCount];
                BFloat16ToSingle(MemoryMarshal.Cast<byte, ushort>(data), singles);
                for (int i = 0; i < singles.Length; i++) values[i] = singles[i];
                break;
            default: ConvertNumbers<double>(values); break;
        }
        return values;
    }

    /// <summary>The values as 64-bit integers. Only integer and BOOL dtypes qualify: rounding floats silently would hide a wrong file.</summary>
    public long[] ToInt64s()
    {
        if (DType.IsFloatingPoint())
            throw FileFormatErrors.Create(sourceName, $"tensor '{Name}' has dtype {DType.ToFormatName()}, which cannot be read as 64-bit integers.");
        var values = new long[ElementCount];
        try
        {
            ConvertNumbers<long>(values);
        }
        catch (OverflowException e)
        {
            throw FileFormatErrors.Create(sourceName, $"tensor '{Name}' ({DType.ToFormatName()}) holds a value beyond the range of a 64-bit signed integer.", e);
        }
        return values;
    }

    /// <summary>Name, dtype and shape for messages, e.g. "rnn.weight_ih_l0 F32 [512, 65]".</summary>
    public override string ToString() => $"{Name} {DType.ToFormatName()} [{string.Join(", ", Shape)}]";

    /// <summary>Conversions through .NET's generic math for dtypes that have a matching .NET type.
    /// CreateChecked only throws for values the target cannot hold (U64 above long.MaxValue into long).</summary>
    private void ConvertNumbers<T>(Span<T> destination) where T : INumberBase<T>
    {
        switch (DType)
        {
            case SafeTensorsDType.Bool:
                for (int i = 0; i < data.Length; i++) destination[i] = data[i] != 0 ? T.One : T.Zero;
                break;
            case SafeTensorsDType.UInt8: Convert<byte, T>(destination); break;
            case SafeTensorsDType.Int8: Convert<sbyte, T>(destination); break;
            case SafeTensorsDType.Int16: Convert<short, T>(destination); break;
            case SafeTensorsDType.UInt16: Convert<ushort, T>(destination); break;
            case SafeTensorsDType.Float16: Convert<Half, T>(destination); break;
            case SafeTensorsDType.Int32: Convert<int, T>(destination); break;
            case SafeTensorsDType.UInt32: Convert<uint, T>(destination); break;
            case SafeTensorsDType.Float32: Convert<float, T>(destination); break;
            case SafeTensorsDType.Float64: Convert<double, T>(destination); break;
            case SafeTensorsDType.Int64: Convert<long, T>(destination); break;
            case SafeTensorsDType.UInt64: Convert<ulong, T>(destination); break;
            default: throw new InvalidDataException($"{Name}: no conversion from {DType} to {typeof(T).Name}.");
        }
    }

    private void Convert<TFrom, TTo>(Span<TTo> destination) where TFrom : unmanaged, INumberBase<TFrom> where TTo : INumberBase<TTo>
    {
        var source = MemoryMarshal.Cast<byte, TFrom>(data);
        for (int i = 0; i < source.Length; i++) destination[i] = TTo.CreateChecked(source[i]);
    }

    /// <summary>bfloat16 is the upper half of a float32, so widening is a shift.</summary>
    private static void BFloat16ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = BitConverter.Int32BitsToSingle(source[i] << 16);
    }
}
