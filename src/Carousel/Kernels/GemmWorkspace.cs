using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Carousel.Kernels;

/// <summary>
/// A growable, 64-byte aligned float buffer on the pinned object heap. It only grows, so after the
/// first call of a given size no GEMM allocates; when its owner goes away the GC frees it.
/// </summary>
internal sealed unsafe class AlignedBuffer
{
    private float[]? _array;
    private float* _data;
    private long _capacity;

    /// <summary>A pointer to at least <paramref name="floats"/> floats, aligned to 64 bytes. Contents are unspecified.</summary>
    public float* Get(long floats)
    {
        if (floats > _capacity)
        {
            long size = Math.Max(floats, _capacity + _capacity / 2);
            if (size + 16 > Array.MaxLength) throw new OutOfMemoryException($"GEMM buffer of {floats} floats is too large.");
            _array = GC.AllocateUninitializedArray<float>((int)size + 16, pinned: true);
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
            _data = (float*)((address + 63) & ~(nint)63);
            _capacity = size;
        }
        return _data;
    }
}

/// <summary>Per-thread packing buffers, so concurrent GEMMs on different threads never share one.</summary>
internal sealed class GemmWorkspace
{
    [ThreadStatic] private static GemmWorkspace? t_current;

    public static GemmWorkspace Current => t_current ??= new GemmWorkspace();

    /// <summary>Packed block of op(A): MC × KC.</summary>
    public AlignedBuffer A { get; } = new();

    /// <summary>Packed block of op(B): KC × NC.</summary>
    public AlignedBuffer B { get; } = new();

    /// <summary>A strided vector gathered for a matrix-vector product.</summary>
    public AlignedBuffer X { get; } = new();

    /// <summary>A strided result column of a matrix-vector product.</summary>
    public AlignedBuffer Y { get; } = new();
}
