namespace Carousel.Tensors;

/// <summary>
/// A dense float32 array with a row-major shape. Storage is a plain managed array so that kernels
/// can take spans of it; a tensor never changes its shape or storage after construction.
/// </summary>
public sealed class Tensor
{
    public float[] Data { get; }
    public int[] Shape { get; }
    public int Length => Data.Length;
    public int Rank => Shape.Length;

    public Tensor(params int[] shape)
        : this(new float[CheckedLength(shape)], shape) { }

    public Tensor(float[] data, params int[] shape)
    {
        if (data.Length != CheckedLength(shape))
            throw new ArgumentException($"Shape [{string.Join(", ", shape)}] needs {CheckedLength(shape)} values, got {data.Length}.");
        Data = data;
        Shape = (int[])shape.Clone();
    }

    public int Dim(int axis) => Shape[axis < 0 ? Shape.Length + axis : axis];

    public Span<float> AsSpan() => Data;

    /// <summary>The contiguous block of the index'th slice along the first axis (e.g. step t of [T, B, F]).</summary>
    public Span<float> Slice(int index)
    {
        int block = Data.Length / Shape[0];
        return Data.AsSpan(index * block, block);
    }

    public float this[params int[] index]
    {
        get => Data[Offset(index)];
        set => Data[Offset(index)] = value;
    }

    public void Clear() => Array.Clear(Data);

    public Tensor Clone() => new((float[])Data.Clone(), Shape);

    public bool HasShape(params int[] shape) => Shape.AsSpan().SequenceEqual(shape);

    public override string ToString() => $"Tensor[{string.Join(", ", Shape)}]";

    public static Tensor Zeros(params int[] shape) => new(shape);

    public static Tensor FromDoubles(double[] values, params int[] shape)
    {
        var data = new float[values.Length];
        for (int i = 0; i < values.Length; i++) data[i] = (float)values[i];
        return new Tensor(data, shape);
    }

    /// <summary>Number of elements of a shape, rejecting negative sizes and overflow.</summary>
    public static int CheckedLength(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Negative dimension {d} in shape.");
            n *= d;
            if (n > Array.MaxLength) throw new OutOfMemoryException($"Shape [{string.Join(", ", shape.ToArray())}] has more elements than an array can hold.");
        }
        return (int)n;
    }

    private int Offset(int[] index)
    {
        if (index.Length != Shape.Length) throw new ArgumentException($"Index of rank {index.Length} for a tensor of rank {Shape.Length}.");
        int offset = 0;
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)Shape[i]) throw new IndexOutOfRangeException($"Index {index[i]} out of range for axis {i} of size {Shape[i]}.");
            offset = offset * Shape[i] + index[i];
        }
        return offset;
    }
}
