namespace Carousel.Tensors;

/// <summary>
/// A dense float32 array with a row-major shape. Storage is a plain managed array so that kernels
/// can take spans of it; a tensor never changes its shape or storage after construction.
/// </summary>
public sealed class Tensor
{
    /// <summary>The values in row-major order (last axis fastest); shared, not copied, with whoever passed it in.</summary>
    public float[] Data { get; }

    /// <summary>The size of each axis, outermost first (e.g. [T, B, F]).</summary>
    public int[] Shape { get; }

    /// <summary>The number of elements: the product of <see cref="Shape"/>.</summary>
    public int Length => Data.Length;

    /// <summary>The number of axes (0 for a scalar, 2 for a matrix).</summary>
    public int Rank => Shape.Length;

    /// <summary>A tensor of zeros with the given shape.</summary>
    /// <param name="shape">The size of each axis, outermost first.</param>
    public Tensor(params int[] shape)
        : this(new float[CheckedLength(shape)], shape) { }

    /// <summary>A tensor viewing <paramref name="data"/> (not a copy) as the given shape; the lengths must agree.</summary>
    /// <param name="data">The values in row-major order; the tensor keeps this array.</param>
    /// <param name="shape">The size of each axis, outermost first.</param>
    public Tensor(float[] data, params int[] shape)
    {
        if (data.Length != CheckedLength(shape))
            throw new ArgumentException($"Shape [{string.Join(", ", shape)}] needs {CheckedLength(shape)} values, got {data.Length}.");
        Data = data;
        Shape = (int[])shape.Clone();
    }

    /// <summary>The size of one axis; a negative axis counts from the end (-1 is the last).</summary>
    public int Dim(int axis) => Shape[axis < 0 ? Shape.Length + axis : axis];

    /// <summary>All elements as one writable span, in row-major order.</summary>
    public Span<float> AsSpan() => Data;

    /// <summary>The contiguous block of the index'th slice along the first axis (e.g. step t of [T, B, F]).</summary>
    public Span<float> Slice(int index)
    {
        int block = Data.Length / Shape[0];
        return Data.AsSpan(index * block, block);
    }

    /// <summary>The element at a full index (one coordinate per axis), checked against the shape.</summary>
    public float this[params int[] index]
    {
        get => Data[Offset(index)];
        set => Data[Offset(index)] = value;
    }

    /// <summary>Sets every element to zero, keeping the storage.</summary>
    public void Clear() => Array.Clear(Data);

    /// <summary>A deep copy: same shape, its own copy of the values.</summary>
    public Tensor Clone() => new((float[])Data.Clone(), Shape);

    /// <summary>Whether the shape is exactly the one given (same rank, same sizes).</summary>
    public bool HasShape(params int[] shape) => Shape.AsSpan().SequenceEqual(shape);

    /// <summary>The shape for debugging, e.g. "Tensor[35, 64, 128]"; the values are not printed.</summary>
    public override string ToString() => $"Tensor[{string.Join(", ", Shape)}]";

    /// <summary>A new tensor of zeros with the given shape.</summary>
    public static Tensor Zeros(params int[] shape) => new(shape);

    /// <summary>A float32 tensor with the given shape holding <paramref name="values"/> rounded from double.</summary>
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
