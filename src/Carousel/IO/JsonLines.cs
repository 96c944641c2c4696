using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Carousel.IO;

/// <summary>
/// Reading of JSON-lines files, shared by every reader of examples: one JSON object per line, plain or gzip
/// (detected by the magic bytes), strict UTF-8, blank lines skipped. Every problem is an
/// <see cref="InvalidDataException"/> that starts with "file:line:", so a bad line is found without a debugger;
/// the readers add only the checks of their own fields.
/// </summary>
public static class JsonLines
{
    /// <summary>Each non-blank line of <paramref name="path"/> parsed as a JSON object; each one is disposed when the enumeration moves on.</summary>
    public static IEnumerable<JsonLine> Read(string path)
    {
        foreach (var (line, number) in Lines(path))
        {
            using var json = JsonLine.Parse(line, $"{path}:{number}");
            yield return json;
        }
    }

    /// <summary>The lines of a UTF-8 text file (plain or gzip) with their 1-based numbers; blank ones skipped unless <paramref name="skipBlank"/> is false.</summary>
    public static IEnumerable<(string Line, int Number)> Lines(string path, bool skipBlank = true)
    {
        using var stream = OpenMaybeGzip(path);
        using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true);
        int number = 0;
        while (true)
        {
            string? line;
            try { line = reader.ReadLine(); }
            catch (DecoderFallbackException) { throw new InvalidDataException($"{path}:{number + 1}: not valid UTF-8."); }
            catch (InvalidDataException e) { throw new InvalidDataException($"{path}: corrupt gzip data after line {number}: {e.Message}"); }
            if (line is null) yield break;
            number++;
            if (line.Contains('\0'))
                throw new InvalidDataException($"{path}:{number}: holds NUL characters: UTF-16 saved without a byte order mark, or not text; save it as UTF-8.");
            if (skipBlank && line.Trim().Length == 0) continue;
            yield return (line, number);
        }
    }

    /// <summary>
    /// A file's bytes as a stream, decompressed when they start with gzip's magic bytes 1f 8b. A gzip file is checked
    /// whole against its trailer (CRC-32 and length of the data), so a truncated file, or one with bytes after its end,
    /// is an error saying so rather than text that stops early or reads as bad JSON.
    /// </summary>
    public static Stream OpenMaybeGzip(string path)
    {
        if (Directory.Exists(path)) throw new FileNotFoundException($"'{path}' is a directory; a file is needed.", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"File '{path}' does not exist.", path);
        var file = File.OpenRead(path);
        int b0 = file.ReadByte(), b1 = file.ReadByte();
        file.Position = 0;
        if (b0 != 0x1f || b1 != 0x8b) return file;
        using (file) return Gunzip(file, path);
    }

    private static MemoryStream Gunzip(FileStream file, string path)
    {
        var data = new MemoryStream();
        try
        {
            using var gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
            gzip.CopyTo(data);
        }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: corrupt gzip data: {e.Message}"); }
        // The last 8 bytes of a gzip file are the CRC-32 and the length (mod 2^32) of what it holds.
        Span<byte> trailer = stackalloc byte[8];
        if (file.Length < 18) throw new InvalidDataException($"{path}: truncated gzip file ({file.Length} bytes).");
        file.Position = file.Length - 8;
        file.ReadExactly(trailer);
        uint crc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer);
        uint length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]);
        if (length != (uint)data.Length || crc != Crc32(data.GetBuffer().AsSpan(0, (int)data.Length)))
            throw new InvalidDataException($"{path}: truncated or damaged gzip file (its trailer does not match the {data.Length:N0} bytes it decompresses to).");
        data.Position = 0;
        return data;
    }

    private static readonly uint[] Crc32Table = [.. Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    })];

    /// <summary>The CRC-32 of gzip (and zip, PNG): reflected polynomial 0xEDB88320.</summary>
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in bytes) crc = Crc32Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }
}

/// <summary>One line of a JSON-lines file, parsed: the object and the "file:line" that starts every error about it.</summary>
public sealed class JsonLine : IDisposable
{
    private readonly JsonDocument _document;

    private JsonLine(JsonDocument document, string source)
    {
        _document = document;
        Source = source;
    }

    /// <summary>"file:line" (or any name of where the line came from).</summary>
    public string Source { get; }

    /// <summary>The line's object (valid until the line is disposed).</summary>
    public JsonElement Root => _document.RootElement;

    /// <summary>Parses one line, which must hold a JSON object.</summary>
    public static JsonLine Parse(string line, string source)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(line); }
        catch (JsonException e)
        {
            // The parser's own position ("LineNumber: 0 | BytePositionInLine: …") would contradict the line named in front.
            throw FileFormatErrors.Create(source, $"not valid JSON ({e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]})");
        }
        var kind = document.RootElement.ValueKind;
        if (kind != JsonValueKind.Object)
        {
            document.Dispose();
            throw FileFormatErrors.Create(source, $"expected a JSON object, found {kind}.");
        }
        if (HasSurrogateEscape(line) && HasBrokenString(document.RootElement))
        {
            document.Dispose();
            throw FileFormatErrors.Create(source, "a string holds an unpaired surrogate escape (such as \\ud800 alone), which is not text.");
        }
        return new JsonLine(document, source);
    }

    /// <summary>
    /// Whether the line holds an escape of a surrogate (\uD800–\uDFFF), the only way a string of a strictly decoded line can
    /// be broken; most lines have none, so the document is walked only for the few that do.
    /// </summary>
    private static bool HasSurrogateEscape(string line)
    {
        for (int i = line.IndexOf("\\u", StringComparison.Ordinal); i >= 0 && i + 3 < line.Length; i = line.IndexOf("\\u", i + 2, StringComparison.Ordinal))
            if (line[i + 2] is 'd' or 'D' && line[i + 3] is >= '8' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F') return true;
        return false;
    }

    /// <summary>Whether any string or property name in <paramref name="element"/> cannot be read as text (JSON allows lone surrogate escapes; .NET strings from them are refused).</summary>
    private static bool HasBrokenString(JsonElement element)
    {
        try
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String: _ = element.GetString(); return false;
                case JsonValueKind.Array: return element.EnumerateArray().Any(HasBrokenString);
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name; // a name is a string too
                        if (HasBrokenString(property.Value)) return true;
                    }
                    return false;
                default: return false;
            }
        }
        catch (InvalidOperationException) { return true; }
    }

    /// <summary>Releases the parsed document; <see cref="Root"/> must not be used after.</summary>
    public void Dispose() => _document.Dispose();

    /// <summary>An error about this line: "file:line: problem".</summary>
    public InvalidDataException Error(string problem) => FileFormatErrors.Create(Source, problem);

    /// <summary>The value of a field that must be present; <paramref name="hint"/> (such as " (the labels)") follows the error.</summary>
    public JsonElement Required(string field, string hint = "") =>
        Root.TryGetProperty(field, out var value) ? value : throw Error($"missing field '{field}'{hint}.");

    /// <summary>A field that must be a string; with <paramref name="allowNumber"/> a number is read as its JSON text (labels such as 5).</summary>
    public string RequiredString(string field, bool allowNumber = false, string hint = "")
    {
        var value = Required(field, hint);
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number when allowNumber => value.GetRawText(),
            var kind => throw Error($"field '{field}' is {kind}; it must be a string{(allowNumber ? " or a number" : "")}."),
        };
    }
}
