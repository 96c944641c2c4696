namespace Carousel.IO;

/// <summary>
/// Element types of the safetensors format. Files spell them "F32", "BF16", "I64", ...
/// (see <see cref="SafeTensorsDTypeExtensions.ToFormatName"/>). All values are little-endian in the file.
/// </summary>
public enum SafeTensorsDType
{
    Bool,
    UInt8,
    Int8,
    Int16,
    UInt16,
    Float16,
    BFloat16,
    Int32,
    UInt32,
    Float32,
    Float64,
    Int64,
    UInt64,
}

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

    public static int SizeInBytes(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.Bool or SafeTensorsDType.UInt8 or SafeTensorsDType.Int8 => 1,
        SafeTensorsDType.Int16 or SafeTensorsDType.UInt16 or SafeTensorsDType.Float16 or SafeTensorsDType.BFloat16 => 2,
        SafeTensorsDType.Int32 or SafeTensorsDType.UInt32 or SafeTensorsDType.Float32 => 4,
        SafeTensorsDType.Int64 or SafeTensorsDType.UInt64 or SafeTensorsDType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

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
