using System.Buffers.Binary;
using System.Text;
using Carousel.IO;
using Carousel.Tensors;

namespace Carousel.Tests.IO;

public sealed class SafeTensorsRoundTripTests : IDisposable
{
    private readonly TempDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public void Float32TensorsAndMetadataRoundTrip()
    {
        var weight = new Tensor([1f, -2.5f, 3.25f, float.MaxValue, float.Epsilon, -0f], 2, 3);
        var bias = new Tensor([0.5f, float.NaN], 2);
        var metadata = new Dictionary<string, string> { ["cell"] = "lstm", ["hidden"] = "6" };
        string path = directory.File("model.safetensors");

        SafeTensors.Write(path, [("weight", weight), ("bias", bias)], metadata);
        var file = SafeTensors.Read(path);

        Assert.Equal(["weight", "bias"], file.Names);
        Assert.Equal(SafeTensorsDType.Float32, file["weight"].DType);
        Assert.Equal([2, 3], file["weight"].Shape);
        Assert.Equal(weight.Data, file["weight"].ToTensor().Data);
        Assert.Equal([2], file["bias"].ToTensor().Shape);
        Assert.Equal(0.5f, file["bias"].ToTensor().Data[0]);
        Assert.True(float.IsNaN(file["bias"].ToTensor().Data[1]));
        Assert.Equal(metadata, file.Metadata);
    }

    [Fact]
    public void Float64AndInt64RoundTripExactly()
    {
        double[] doubles = [Math.PI, -1e-300, double.PositiveInfinity, 1.0 / 3.0];
        long[] longs = [long.MinValue, -1, 0, long.MaxValue, 1L << 53 | 1, 42];
        string path = directory.File("mixed.safetensors");

        SafeTensors.Write(path,
        [
            SafeTensorsWriteEntry.FromDoubles("reference", doubles, 2, 2),
            SafeTensorsWriteEntry.FromInt64s("tokens", longs, 3, 2),
            SafeTensorsWriteEntry.FromFloats("weights", [1f, 2f], 2),
        ]);
        var file = SafeTensors.Read(path);

        Assert.Equal(["reference", "tokens", "weights"], file.Names);
        Assert.Equal(SafeTensorsDType.Float64, file["reference"].DType);
        Assert.Equal([2, 2], file["reference"].Shape);
        Assert.Equal(doubles, file["reference"].ToDoubles());
        Assert.Equal(SafeTensorsDType.Int64, file["tokens"].DType);
        Assert.Equal([3, 2], file["tokens"].Shape);
        Assert.Equal(longs, file["tokens"].ToInt64s());
        Assert.Equal([1.0, 2.0], file["weights"].ToDoubles());
    }

    [Fact]
    public void EmptyAndScalarTensorsRoundTrip()
    {
        string path = directory.File("shapes.safetensors");
        SafeTensors.Write(path,
        [
            ("empty", new Tensor(0)),
            ("scalar", new Tensor([42f])),
            ("emptyMatrix", new Tensor(3, 0)),
            ("after", new Tensor([7f], 1)),
        ]);

        var file = SafeTensors.Read(path);

        Assert.Equal([0], file["empty"].Shape);
        Assert.Equal(0, file["empty"].ElementCount);
        Assert.Empty(file["empty"].ToTensor().Data);
        Assert.Empty(file["scalar"].Shape);
        Assert.Equal([42f], file["scalar"].ToTensor().Data);
        Assert.Equal([3, 0], file["emptyMatrix"].ToTensor().Shape);
        Assert.Equal([7f], file["after"].ToTensor().Data);
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void FileWithoutTensorsRoundTrips()
    {
        string path = directory.File("nothing.safetensors");
        SafeTensors.Write(path, Array.Empty<SafeTensorsWriteEntry>(), new Dictionary<string, string> { ["note"] = "only metadata" });

        var file = SafeTensors.Read(path);

        Assert.Empty(file.Entries);
        Assert.Equal("only metadata", file.Metadata["note"]);
    }

    [Fact]
    public void LayoutFollowsTheFormat()
    {
        string path = directory.File("layout.safetensors");
        SafeTensors.Write(path,
        [
            SafeTensorsWriteEntry.FromFloats("a", [1f, 2f, 3f], 3),
            SafeTensorsWriteEntry.FromDoubles("b", [4.0], 1),
        ]);
        byte[] bytes = File.ReadAllBytes(path);

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, headerLength % 8);
        Assert.Equal(8 + (long)headerLength + 3 * 4 + 8, bytes.Length);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        Assert.Equal(
            """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F64","shape":[1],"data_offsets":[12,20]}}""",
            header.TrimEnd(' '));
        Assert.DoesNotContain("__metadata__", header);
        Assert.Equal(1f, BitConverter.ToSingle(bytes, 8 + (int)headerLength));
        Assert.Equal(4.0, BitConverter.ToDouble(bytes, 8 + (int)headerLength + 12));
    }

    [Fact]
    public void NamesAndMetadataKeepSpecialCharactersReadable()
    {
        string path = directory.File("text.safetensors");
        var metadata = new Dictionary<string, string>
        {
            ["optimizer_args"] = "{'lr': 0.5, \"betas\": (0.9, 0.999)} <&>",
            ["vocabulary"] = "héllo ✓ \n\t\\ 日本",
        };
        SafeTensors.Write(path, [("embedding.wéight", new Tensor([1f], 1))], metadata);

        var file = SafeTensors.Read(path);
        string raw = Encoding.UTF8.GetString(File.ReadAllBytes(path));

        Assert.Equal(metadata, file.Metadata);
        Assert.Equal("embedding.wéight", file.Entries[0].Name);
        Assert.Contains("{'lr': 0.5", raw);
        Assert.Contains("héllo ✓", raw);
    }

    [Fact]
    public void StreamOverloadsMatchTheFileOnes()
    {
        SafeTensorsWriteEntry[] entries = [SafeTensorsWriteEntry.FromInt64s("ids", [3, 1, 4], 3)];
        var memory = new MemoryStream();
        SafeTensors.Write(memory, entries);
        string path = directory.File("same.safetensors");
        SafeTensors.Write(path, entries);

        Assert.Equal(File.ReadAllBytes(path), memory.ToArray());
        Assert.Equal([3L, 1, 4], SafeTensors.Parse(memory.ToArray())["ids"].ToInt64s());
        memory.Position = 0;
        Assert.Equal([3L, 1, 4], SafeTensors.Read(memory)["ids"].ToInt64s());
        Assert.Equal([3L, 1, 4], SafeTensors.Read(new ForwardOnlyStream(memory.ToArray()))["ids"].ToInt64s());
    }

    [Fact]
    public void ConversionsBetweenDTypes()
    {
        string path = directory.File("convert.safetensors");
        SafeTensors.Write(path,
        [
            SafeTensorsWriteEntry.FromDoubles("double", [0.1, -2.0], 2),
            SafeTensorsWriteEntry.FromInt64s("long", [-3, 5], 2),
            SafeTensorsWriteEntry.FromFloats("float", [1.5f], 1),
        ]);
        var file = SafeTensors.Read(path);

        Assert.Equal([0.1f, -2f], file["double"].ToTensor().Data);
        Assert.Equal([-3f, 5f], file["long"].ToTensor().Data);
        Assert.Equal([-3.0, 5.0], file["long"].ToDoubles());
        var error = Assert.Throws<InvalidDataException>(() => file["float"].ToInt64s());
        Assert.Contains("'float'", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void NarrowAndHalfPrecisionDTypesAreReadAndConverted()
    {
        // Hand-built, since Carousel only writes F32/F64/I64.
        byte[] data =
        [
            0x00, 0x3C, 0x00, 0xC0,             // F16 [1, -2]
            0x80, 0x3F, 0x49, 0x40,             // BF16 [1, 3.140625]
            0xFF, 0xFF, 0xFF, 0x7F, 0xFE, 0xFF, 0xFF, 0xFF, // I32 [int.MaxValue, -2]
            0xFF, 0x00,                         // U8 [255, 0]
            0x80, 0x7F,                         // I8 [-128, 127]
            0x01, 0x00, 0x02,                   // BOOL [true, false, true]
        ];
        string header = """
            {"half":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},
             "brain":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},
             "int":{"dtype":"I32","shape":[2],"data_offsets":[8,16]},
             "byte":{"dtype":"U8","shape":[2],"data_offsets":[16,18]},
             "sbyte":{"dtype":"I8","shape":[2],"data_offsets":[18,20]},
             "mask":{"dtype":"BOOL","shape":[3],"data_offsets":[20,23]}}
            """;
        var file = SafeTensors.Parse(SafeTensorsTestFiles.Build(header, data));

        Assert.Equal(SafeTensorsDType.Float16, file["half"].DType);
        Assert.Equal([1f, -2f], file["half"].ToTensor().Data);
        Assert.Equal([1.0, -2.0], file["half"].ToDoubles());
        Assert.Equal([1f, 3.140625f], file["brain"].ToTensor().Data);
        Assert.Equal([1.0, 3.140625], file["brain"].ToDoubles());
        Assert.Equal([int.MaxValue, -2L], file["int"].ToInt64s());
        Assert.Equal([255L, 0], file["byte"].ToInt64s());
        Assert.Equal([-128f, 127f], file["sbyte"].ToTensor().Data);
        Assert.Equal([1L, 0, 1], file["mask"].ToInt64s());
        Assert.Equal([0x00, 0x3C, 0x00, 0xC0], file["half"].RawBytes.ToArray());
    }

    [Fact]
    public void WritingRejectsBadEntriesBeforeTouchingTheTarget()
    {
        string path = directory.File("rejected.safetensors");
        var tensor = new Tensor([1f], 1);

        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [("same", tensor), ("same", tensor)]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [("__metadata__", tensor)]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriteEntry.FromDoubles("wrong", [1.0, 2.0], 3));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriteEntry.FromInt64s("negative", [], -1));
        Assert.Empty(directory.FileNames());
    }

    [Fact]
    public void MissingTensorNameIsReportedWithTheFile()
    {
        string path = directory.File("one.safetensors");
        SafeTensors.Write(path, [("present", new Tensor([1f], 1))]);
        var file = SafeTensors.Read(path);

        Assert.True(file.Contains("present"));
        Assert.False(file.TryGetEntry("absent", out _));
        var error = Assert.Throws<InvalidDataException>(() => file["absent"]);
        Assert.Contains("'absent'", error.Message);
        Assert.Contains(path, error.Message);
    }
}

/// <summary>A stream that can only be read forwards, like a pipe.</summary>
internal sealed class ForwardOnlyStream(byte[] bytes) : Stream
{
    private readonly MemoryStream inner = new(bytes);
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 3));
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Builds safetensors bytes by hand, including ones no correct writer would produce.</summary>
internal static class SafeTensorsTestFiles
{
    public static byte[] Build(string headerJson, byte[]? data = null, ulong? claimedHeaderLength = null) =>
        Build(Encoding.UTF8.GetBytes(headerJson), data, claimedHeaderLength);

    public static byte[] Build(byte[] header, byte[]? data = null, ulong? claimedHeaderLength = null)
    {
        data ??= [];
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimedHeaderLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }
}
