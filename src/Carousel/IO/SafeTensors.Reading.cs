using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace Carousel.IO;

/// <summary>
/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of UTF-8 JSON describing each tensor's dtype, shape and byte range, then the data.
/// </summary>
/// <remarks>
/// Reading is strict, like the reference implementation: the tensors' byte ranges must tile the data section exactly
/// (no overlaps, no gaps, nothing after the last tensor). PyTorch's writer always produces such files, and a gap or
/// trailing bytes are a sign of corruption or of data hidden from tools that only read the header.
/// Nothing a header claims is allocated before it has been checked against the real length of the file.
/// </remarks>
public static partial class SafeTensors
{
    /// <summary>Headers above this size are rejected before allocation (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";
    private const int HeaderLengthPrefixBytes = 8;

    /// <summary>Reads a whole safetensors file. Throws <see cref="InvalidDataException"/> (message naming the file and the problem) for any malformed content.</summary>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        EnsureLittleEndian();
        // No FileStream buffer: tensor bytes go straight from the OS into their arrays.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        return ReadSeekable(stream, path);
    }

    /// <summary>Reads a safetensors file from the stream's current position to its end.
    /// A stream that cannot seek is first copied to memory, because its length must be known before anything is trusted.</summary>
    public static SafeTensorsFile Read(Stream stream, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        EnsureLittleEndian();
        sourceName ??= (stream as FileStream)?.Name ?? "<stream>";
        if (stream.CanSeek) return ReadSeekable(stream, sourceName);

        var copy = new MemoryStream();
        stream.CopyTo(copy);
        copy.Position = 0;
        return ReadSeekable(copy, sourceName);
    }

    /// <summary>Parses a safetensors file held in memory.</summary>
    public static SafeTensorsFile Parse(byte[] bytes, string sourceName = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        EnsureLittleEndian();
        return ReadSeekable(new MemoryStream(bytes, writable: false), sourceName);
    }

    private static SafeTensorsFile ReadSeekable(Stream stream, string source)
    {
        long available = stream.Length - stream.Position;
        if (available == 0) throw FileFormatErrors.Create(source, "the file is empty; expected a safetensors file.");
        if (available < HeaderLengthPrefixBytes)
            throw FileFormatErrors.Create(source, $"the file is only {available} bytes long, too short for the 8-byte header length of a safetensors file.");

        Span<byte> prefix = stackalloc byte[HeaderLengthPrefixBytes];
        ReadExactly(stream, prefix, source);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes)
            throw FileFormatErrors.Create(source, $"the header length {headerLength:N0} bytes exceeds the {MaxHeaderBytes:N0}-byte limit; this is not a safetensors file or it is corrupt.");
        if (headerLength > (ulong)(available - HeaderLengthPrefixBytes))
            throw FileFormatErrors.Create(source, $"the header length {headerLength:N0} bytes runs past the end of the file ({available:N0} bytes); the file is truncated or not a safetensors file.");
        if (headerLength == 0) throw FileFormatErrors.Create(source, "the header is empty; expected a JSON object.");

        var header = new byte[headerLength];
        ReadExactly(stream, header, source);
        long dataLength = available - HeaderLengthPrefixBytes - (long)headerLength;
        var (metadata, layouts) = SafeTensorsHeader.Parse(header, dataLength, source);

        // The header is validated: byte ranges tile the data section, so the data can be read front to back.
        var bytesByName = new Dictionary<string, byte[]>(layouts.Count, StringComparer.Ordinal);
        foreach (var layout in layouts.OrderBy(l => l.Begin).ThenBy(l => l.End))
        {
            var bytes = new byte[layout.ByteLength];
            ReadExactly(stream, bytes, source);
            bytesByName.Add(layout.Name, bytes);
        }

        var entries = new List<SafeTensorsEntry>(layouts.Count);
        foreach (var layout in layouts)
            entries.Add(new SafeTensorsEntry(layout.Name, layout.DType, layout.Shape, bytesByName[layout.Name], source));
        return new SafeTensorsFile(source, metadata, entries);
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string source)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            // Lengths were checked up front, so this means the file shrank while being read.
            throw FileFormatErrors.Create(source, "the file ended before all its data was read; it is truncated or was changed while reading.", e);
        }
    }

    private static void EnsureLittleEndian()
    {
        // safetensors is little-endian and the conversions reinterpret bytes in place.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors support needs a little-endian machine.");
    }
}

/// <summary>Where one tensor lives in the data section, as the header describes it (after validation).</summary>
internal sealed record TensorLayout(string Name, SafeTensorsDType DType, int[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>Parses and validates a safetensors JSON header against the actual length of the data section.</summary>
internal static class SafeTensorsHeader
{
    private const int MaxNameLengthInMessages = 200;

    public static (Dictionary<string, string> Metadata, List<TensorLayout> Layouts) Parse(byte[] header, long dataLength, string source)
    {
        if (!Utf8.IsValid(header)) throw Fail(source, "the header is not valid UTF-8 text.");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw FileFormatErrors.Create(source, $"the header is not valid JSON ({e.Message}).", e);
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var layouts = new List<TensorLayout>();
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Fail(source, $"the header must be a JSON object, found {Describe(root.ValueKind)}.");

            var seenNames = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!seenNames.Add(property.Name))
                    throw Fail(source, $"the header lists '{Shorten(property.Name)}' more than once.");
                if (property.Name == "__metadata__")
                    ReadMetadata(property.Value, metadata, source);
                else
                    layouts.Add(ReadLayout(property.Name, property.Value, dataLength, source));
            }
        }

        CheckDataCoverage(layouts, dataLength, source);
        return (metadata, layouts);
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"__metadata__ must be a JSON object of strings, found {Describe(value.ValueKind)}.");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Fail(source, $"__metadata__ value '{Shorten(item.Name)}' must be a string, found {Describe(item.Value.ValueKind)}.");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Fail(source, $"__metadata__ lists '{Shorten(item.Name)}' more than once.");
        }
    }

    private static TensorLayout ReadLayout(string name, JsonElement value, long dataLength, string source)
    {
        string quoted = $"tensor '{Shorten(name)}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"{quoted} must be a JSON object with dtype, shape and data_offsets, found {Describe(value.ValueKind)}.");

        JsonElement? dtypeField = null, shapeField = null, offsetsField = null;
        foreach (var field in value.EnumerateObject())
        {
            // Unknown fields are ignored, as the reference implementation does, so newer files still load.
            ref JsonElement? slot = ref dtypeField;
            if (field.NameEquals("dtype")) slot = ref dtypeField;
            else if (field.NameEquals("shape")) slot = ref shapeField;
            else if (field.NameEquals("data_offsets")) slot = ref offsetsField;
            else continue;
            if (slot is not null) throw Fail(source, $"{quoted} has '{field.Name}' more than once.");
            slot = field.Value;
        }
        if (dtypeField is not { } dtypeValue) throw Fail(source, $"{quoted} has no dtype.");
        if (shapeField is not { } shapeValue) throw Fail(source, $"{quoted} has no shape.");
        if (offsetsField is not { } offsetsValue) throw Fail(source, $"{quoted} has no data_offsets.");

        if (dtypeValue.ValueKind != JsonValueKind.String)
            throw Fail(source, $"{quoted} dtype must be a string, found {Describe(dtypeValue.ValueKind)}.");
        string dtypeText = dtypeValue.GetString()!;
        if (!SafeTensorsDTypeExtensions.TryParseFormatName(dtypeText, out var dtype))
            throw Fail(source, $"{quoted} has unknown dtype '{Shorten(dtypeText)}' (known: {SafeTensorsDTypeExtensions.SupportedFormatNames}).");

        var shape = ReadShape(quoted, shapeValue, source);
        var (begin, end) = ReadOffsets(quoted, offsetsValue, source);
        if (begin > end) throw Fail(source, $"{quoted} data_offsets [{begin}, {end}] begin after they end.");
        if (end > dataLength)
            throw Fail(source, $"{quoted} data_offsets [{begin}, {end}] run past the end of the data section ({dataLength:N0} bytes); the file is truncated or corrupt.");

        long byteLength = ByteLength(quoted, shape, dtype, source);
        if (byteLength != end - begin)
            throw Fail(source, $"{quoted} is {dtype.ToFormatName()} [{string.Join(", ", shape)}], which needs {byteLength:N0} bytes, but data_offsets [{begin}, {end}] hold {end - begin:N0}.");
        if (byteLength > Array.MaxLength)
            throw Fail(source, $"{quoted} holds {byteLength:N0} bytes, more than one array can hold.");
        return new TensorLayout(name, dtype, shape, begin, end);
    }

    private static int[] ReadShape(string quoted, JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Array)
            throw Fail(source, $"{quoted} shape must be an array of integers, found {Describe(value.ValueKind)}.");
        var shape = new int[value.GetArrayLength()];
        int axis = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long dim))
                throw Fail(source, $"{quoted} shape must be an array of integers, found {Describe(item)} at position {axis}.");
            if (dim < 0) throw Fail(source, $"{quoted} has negative dimension {dim} in its shape.");
            if (dim > int.MaxValue) throw Fail(source, $"{quoted} has dimension {dim:N0} in its shape, larger than Carousel supports.");
            shape[axis++] = (int)dim;
        }
        return shape;
    }

    private static (long Begin, long End) ReadOffsets(string quoted, JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() != 2)
            throw Fail(source, $"{quoted} data_offsets must be an array [begin, end], found {Describe(value)}.");
        long begin = ReadOffset(value[0]), end = ReadOffset(value[1]);
        return (begin, end);

        long ReadOffset(JsonElement item)
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long offset))
                throw Fail(source, $"{quoted} data_offsets must be integers, found {Describe(item)}.");
            if (offset < 0) throw Fail(source, $"{quoted} has negative data offset {offset}.");
            return offset;
        }
    }

    /// <summary>Bytes a tensor needs, refusing element counts whose product overflows (the product must not be trusted).</summary>
    private static long ByteLength(string quoted, int[] shape, SafeTensorsDType dtype, string source)
    {
        if (shape.Contains(0)) return 0;
        long count = 1;
        foreach (int dim in shape)
        {
            if (count > long.MaxValue / dim / dtype.SizeInBytes())
                throw Fail(source, $"{quoted} shape [{string.Join(", ", shape)}] has more elements than can be stored.");
            count *= dim;
        }
        return count * dtype.SizeInBytes();
    }

    /// <summary>The byte ranges must tile [0, dataLength): sorted by start, each begins where the previous ended.</summary>
    private static void CheckDataCoverage(List<TensorLayout> layouts, long dataLength, string source)
    {
        long covered = 0;
        TensorLayout? previous = null;
        foreach (var layout in layouts.OrderBy(l => l.Begin).ThenBy(l => l.End))
        {
            if (layout.Begin < covered)
                throw Fail(source, $"tensors '{Shorten(previous!.Name)}' [{previous.Begin}, {previous.End}] and '{Shorten(layout.Name)}' [{layout.Begin}, {layout.End}] overlap.");
            if (layout.Begin > covered)
                throw Fail(source, $"the data section has {layout.Begin - covered:N0} unused bytes at offset {covered} before tensor '{Shorten(layout.Name)}'; safetensors requires tensors to cover the data contiguously.");
            covered = layout.End;
            if (layout.ByteLength > 0 || previous is null) previous = layout;
        }
        if (covered != dataLength)
            throw Fail(source, $"the data section has {dataLength - covered:N0} bytes after the last tensor (offset {covered}); safetensors requires tensors to cover the data contiguously.");
    }

    private static InvalidDataException Fail(string source, string problem) => FileFormatErrors.Create(source, problem);

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Number or JsonValueKind.String or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null => Shorten(element.GetRawText()),
        _ => Describe(element.ValueKind),
    };

    /// <summary>Names come from untrusted files; keep messages readable even when a name is megabytes long.</summary>
    private static string Shorten(string text) =>
        text.Length <= MaxNameLengthInMessages ? text : string.Concat(text.AsSpan(0, MaxNameLengthInMessages), "…");
}
