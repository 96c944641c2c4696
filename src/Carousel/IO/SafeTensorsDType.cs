namespace Carousel.IO;

/// <summary>
/// Element types of the safetensors format. Files spell them "F32", "BF16", "I64", ...
/// (see <see cref="SafeTensorsDTypeExtensions.ToFormatName"/>). All values are little-endian in the file.
/// </summary>
public enum SafeTensorsDType
{
    /// <summary>"BOOL": one byte per element, 0 for false and anything else for true.</summary>
    Bool,

    /// <summary>"U8": unsigned 8-bit integer.</summary>
    UInt8,

    /// <summary>"I8": signed 8-bit integer.</summary>
    Int8,

    /// <summary>"I16": signed 16-bit integer.</summary>
    Int16,

    /// <summary>"U16": unsigned 16-bit integer.</summary>
    UInt16,

    /// <summary>"F16": IEEE half precision (16-bit float).</summary>
    Float16,

    /// <summary>"BF16": bfloat16, the upper 16 bits of a float32 (same range, fewer digits).</summary>
    BFloat16,

    /// <summary>"I32": signed 32-bit integer.</summary>
    Int32,

    /// <summary>"U32": unsigned 32-bit integer.</summary>
    UInt32,

    /// <summary>"F32": IEEE single precision, the type model weights are kept in.</summary>
    Float32,

    /// <summary>"F64": IEEE double precision.</summary>
    Float64,

    /// <summary>"I64": signed 64-bit integer (token ids, step counters).</summary>
    Int64,

    /// <summary>"U64": unsigned 64-bit integer.</summary>
    UInt64,
}

/// <summary>The file spelling, size and kind of each <see cref="SafeTensorsDType"/>.</summary>
public static class SafeTensorsDTypeExtensions
{
    /// <summary>The dtype as the file's header spells it ("F32").</summary>
    public static string ToFormatName(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.Bool => "BOOL",
        SafeTensorsDType.UInt8 => "U8",
        SafeTensorsDType.Int8 => "I8",
        SafeTensorsDType.Int16 => "I16",
        SafeTensorsDType.UInt16 => "U16",
        SafeTensorsDType.Float16 => "F16",
        SafeTensorsDType.BFloat16 => "BF16",
        SafeTensorsDType.Int32 => "I32",
        SafeTensorsDType.UInt32 => "U32",
        SafeTensorsDType.Float32 => "F32",
        SafeTensorsDType.Float64 => "F64",
        SafeTensorsDType.Int64 => "I64",
        SafeTensorsDType.UInt64 => "U64",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The bytes one element of this dtype takes in the file (1, 2, 4 or 8).</summary>
    public static int SizeInBytes(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.Bool or SafeTensorsDType.UInt8 or SafeTensorsDType.Int8 => 1,
        SafeTensorsDType.Int16 or SafeTensorsDType.UInt16 or SafeTensorsDType.Float16 or SafeTensorsDType.BFloat16 => 2,
        SafeTensorsDType.Int32 or SafeTensorsDType.UInt32 or SafeTensorsDType.Float32 => 4,
        SafeTensorsDType.Int64 or SafeTensorsDType.UInt64 or SafeTensorsDType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Whether the dtype is a floating-point one (F16, BF16, F32, F64).</summary>
    public static bool IsFloatingPoint(this SafeTensorsDType dtype) =>
        dtype is SafeTensorsDType.Float16 or SafeTensorsDType.BFloat16 or SafeTensorsDType.Float32 or SafeTensorsDType.Float64;

    /// <summary>Parses a header spelling ("F32"); exact and case-sensitive, as the format is.</summary>
    public static bool TryParseFormatName(string text, out SafeTensorsDType dtype)
    {
        foreach (var candidate in Enum.GetValues<SafeTensorsDType>())
        {
            if (candidate.ToFormatName() == text)
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    internal static string SupportedFormatNames => string.Join(", ", Enum.GetValues<SafeTensorsDType>().Select(d => d.ToFormatName()));
}
