using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using Carousel.Tensors;

namespace Carousel.IO;

public static partial class SafeTensors
{
    /// <summary>Writes float32 tensors, in the given order, atomically (see <see cref="AtomicFile"/>).</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Write(path, tensors.Select(t => SafeTensorsWriteEntry.FromTensor(t.Name, t.Tensor)), metadata);
    }

    /// <summary>Writes entries of any supported dtype, in the given order, atomically: a failure leaves any
    /// existing file at <paramref name="path"/> untouched.</summary>
    public static void Write(string path, IEnumerable<SafeTensorsWriteEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(entries);
        EnsureLittleEndian();
        var list = entries.ToList();
        // Built (and validated) before the target is touched.
        byte[] header = BuildHeader(list, metadata);
        AtomicFile.Write(path, stream => WriteBody(stream, header, list));
    }

    /// <summary>Writes entries as a safetensors file into a stream, in the given order (not atomically; the caller owns the stream).</summary>
    public static void Write(Stream stream, IEnumerable<SafeTensorsWriteEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(entries);
        EnsureLittleEndian();
        var list = entries.ToList();
        WriteBody(stream, BuildHeader(list, metadata), list);
    }

    private static void WriteBody(Stream stream, byte[] header, List<SafeTensorsWriteEntry> entries)
    {
        Span<byte> prefix = stackalloc byte[HeaderLengthPrefixBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var entry in entries) stream.Write(entry.Bytes);
    }

    /// <summary>The JSON header, laid out like the reference writer's (metadata first, then tensors with
    /// contiguous offsets in the given order) and padded with spaces to a multiple of 8 bytes so the data
    /// section starts aligned.</summary>
    private static byte[] BuildHeader(List<SafeTensorsWriteEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(entries));
            if (entry.Name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved and cannot name a tensor.", nameof(entries));
            if (!names.Add(entry.Name)) throw new ArgumentException($"Tensor name '{entry.Name}' appears more than once.", nameof(entries));
        }

        var buffer = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps names and metadata readable (no \u0027 for quotes); the header is never embedded in HTML.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    ArgumentNullException.ThrowIfNull(value, nameof(metadata));
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var entry in entries)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.DType.ToFormatName());
                json.WriteStartArray("shape");
                foreach (int dim in entry.Shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += entry.ByteLength;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        int padding = (8 - buffer.WrittenCount % 8) % 8;
        if (buffer.WrittenCount + padding > MaxHeaderBytes)
            throw new ArgumentException($"The header would be {buffer.WrittenCount:N0} bytes, more than readers accept ({MaxHeaderBytes:N0}); store large data as tensors, not metadata.");
        buffer.GetSpan(padding)[..padding].Fill((byte)' ');
        buffer.Advance(padding);
        return buffer.WrittenSpan.ToArray();
    }
}
