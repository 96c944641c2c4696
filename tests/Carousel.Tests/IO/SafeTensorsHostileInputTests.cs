using System.Text;
using Carousel.IO;

namespace Carousel.Tests.IO;

/// <summary>
/// Every malformed file must end in an <see cref="InvalidDataException"/> whose message names the file and the
/// problem — never another exception, a crash, or an allocation sized by what the header claims.
/// </summary>
public sealed class SafeTensorsHostileInputTests : IDisposable
{
    private const string OneFloat = """{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""";

    /// <summary>Reading any of these files must allocate far less than the gigabytes their headers claim.</summary>
    private const long AllocationBudgetBytes = 16 << 20;

    private readonly TempDirectory directory = new();

    public void Dispose() => directory.Dispose();

    private InvalidDataException ReadFails(byte[] bytes, params string[] expectedInMessage)
    {
        string path = directory.File("hostile.safetensors");
        File.WriteAllBytes(path, bytes);
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));

        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore, 0, AllocationBudgetBytes);
        Assert.StartsWith(path + ": ", error.Message);
        foreach (var expected in expectedInMessage) Assert.Contains(expected, error.Message);
        return error;
    }

    private InvalidDataException HeaderFails(string headerJson, int dataLength, params string[] expectedInMessage) =>
        ReadFails(SafeTensorsTestFiles.Build(headerJson, new byte[dataLength]), expectedInMessage);

    [Fact]
    public void EmptyFile() => ReadFails([], "empty");

    [Fact]
    public void FileShorterThanTheHeaderLength() => ReadFails([1, 0, 0], "3 bytes", "too short");

    [Fact]
    public void HeaderLengthPastTheEndOfTheFile() =>
        ReadFails(SafeTensorsTestFiles.Build("{}", claimedHeaderLength: 1000), "header length 1,000 bytes runs past the end of the file (10 bytes)");

    [Theory]
    [InlineData(5_000_000_000UL)]
    [InlineData(100_000_001UL)]
    [InlineData(ulong.MaxValue)]
    public void AbsurdHeaderLengthIsRejectedWithoutAllocating(ulong claimedLength) =>
        ReadFails(SafeTensorsTestFiles.Build("{}", claimedHeaderLength: claimedLength), "exceeds the 100,000,000-byte limit");

    [Fact]
    public void ZeroHeaderLength() => ReadFails(SafeTensorsTestFiles.Build(""), "header is empty");

    [Theory]
    [InlineData("this is not json")]
    [InlineData("{\"a\": ")]
    [InlineData("{\"a\": {}} trailing")]
    [InlineData("{'a': 1}")]
    public void HeaderIsNotJson(string header) => HeaderFails(header, 0, "not valid JSON");

    [Fact]
    public void HeaderNestedTooDeeply() => HeaderFails(new string('[', 10_000) + new string(']', 10_000), 0, "not valid JSON");

    [Fact]
    public void HeaderIsNotUtf8() =>
        ReadFails(SafeTensorsTestFiles.Build([(byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}']), "UTF-8");

    [Theory]
    [InlineData("[1, 2]", "an array")]
    [InlineData("\"text\"", "a string")]
    [InlineData("42", "a number")]
    [InlineData("null", "null")]
    public void HeaderIsNotAnObject(string header, string found) => HeaderFails(header, 0, "must be a JSON object", found);

    [Theory]
    [InlineData("5", "a number")]
    [InlineData("[0, 4]", "an array")]
    [InlineData("\"F32\"", "a string")]
    public void EntryIsNotAnObject(string entry, string found) =>
        HeaderFails($$"""{"w": {{entry}}}""", 4, "tensor 'w' must be a JSON object", found);

    [Theory]
    [InlineData("""{"shape":[1],"data_offsets":[0,4]}""", "no dtype")]
    [InlineData("""{"dtype":"F32","data_offsets":[0,4]}""", "no shape")]
    [InlineData("""{"dtype":"F32","shape":[1]}""", "no data_offsets")]
    [InlineData("""{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}""", "'dtype' more than once")]
    public void EntryFieldMissingOrRepeated(string entry, string problem) => HeaderFails($$"""{"w": {{entry}}}""", 4, "tensor 'w'", problem);

    [Theory]
    [InlineData("""{"dtype":32,"shape":[1],"data_offsets":[0,4]}""", "dtype must be a string")]
    [InlineData("""{"dtype":null,"shape":[1],"data_offsets":[0,4]}""", "dtype must be a string")]
    [InlineData("""{"dtype":"F32","shape":"1","data_offsets":[0,4]}""", "shape must be an array of integers, found a string")]
    [InlineData("""{"dtype":"F32","shape":{"0":1},"data_offsets":[0,4]}""", "shape must be an array of integers, found an object")]
    [InlineData("""{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}""", "shape must be an array of integers, found 1.5")]
    [InlineData("""{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}""", "shape must be an array of integers, found \"1\"")]
    [InlineData("""{"dtype":"F32","shape":[[1]],"data_offsets":[0,4]}""", "shape must be an array of integers, found an array")]
    [InlineData("""{"dtype":"F32","shape":[1],"data_offsets":"0,4"}""", "data_offsets must be an array [begin, end]")]
    [InlineData("""{"dtype":"F32","shape":[1],"data_offsets":[4]}""", "data_offsets must be an array [begin, end]")]
    [InlineData("""{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}""", "data_offsets must be an array [begin, end]")]
    [InlineData("""{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}""", "data_offsets must be integers, found 4.0")]
    [InlineData("""{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]}""", "data_offsets must be integers")]
    public void EntryFieldHasWrongType(string entry, string problem) => HeaderFails($$"""{"w": {{entry}}}""", 4, "tensor 'w'", problem);

    [Theory]
    [InlineData("F128")]
    [InlineData("f32")]
    [InlineData("")]
    public void UnknownDType(string dtype) =>
        HeaderFails($$$"""{"w": {"dtype":"{{{dtype}}}","shape":[1],"data_offsets":[0,4]}}""", 4, $"tensor 'w' has unknown dtype '{dtype}'", "F32");

    [Fact]
    public void ShapeDoesNotMatchByteCount() =>
        HeaderFails("""{"w": {"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}""", 12, "F32 [2, 2], which needs 16 bytes, but data_offsets [0, 12] hold 12");

    [Fact]
    public void NegativeDimension() =>
        HeaderFails("""{"w": {"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}""", 16, "negative dimension -1");

    [Fact]
    public void DimensionBeyondInt32() =>
        HeaderFails("""{"w": {"dtype":"U8","shape":[3000000000],"data_offsets":[0,4]}}""", 4, "dimension 3,000,000,000");

    [Fact]
    public void DimensionsWhoseProductOverflows() =>
        HeaderFails("""{"w": {"dtype":"F64","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,8]}}""", 8, "more elements than can be stored");

    [Fact]
    public void NegativeOffset() =>
        HeaderFails("""{"w": {"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}""", 4, "negative data offset -4");

    [Fact]
    public void BeginAfterEnd() =>
        HeaderFails("""{"w": {"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", 8, "data_offsets [8, 4] begin after they end");

    [Fact]
    public void HugeTensorClaimedInTinyFileIsRejectedWithoutAllocating() =>
        HeaderFails("""{"w": {"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}""", 16, "run past the end of the data section (16 bytes)");

    [Fact]
    public void OffsetsPastEndOfData() =>
        HeaderFails($$$"""{"a": {{{OneFloat}}}, "b": {"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 8, "tensor 'b' data_offsets [4, 12] run past the end");

    [Fact]
    public void OverlappingTensors() =>
        HeaderFails("""
            {"a": {"dtype":"F32","shape":[2],"data_offsets":[0,8]},
             "b": {"dtype":"F32","shape":[2],"data_offsets":[4,12]}}
            """, 12, "tensors 'a' [0, 8] and 'b' [4, 12] overlap");

    [Fact]
    public void SameRangeTwice() =>
        HeaderFails($$"""{"a": {{OneFloat}}, "b": {{OneFloat}}}""", 4, "overlap");

    [Fact]
    public void EmptyTensorInsideAnother() =>
        HeaderFails("""
            {"a": {"dtype":"F32","shape":[2],"data_offsets":[0,8]},
             "b": {"dtype":"F32","shape":[0],"data_offsets":[4,4]}}
            """, 8, "tensors 'a' [0, 8] and 'b' [4, 4] overlap");

    [Fact]
    public void GapBetweenTensors() =>
        HeaderFails("""
            {"a": {"dtype":"F32","shape":[1],"data_offsets":[0,4]},
             "b": {"dtype":"F32","shape":[1],"data_offsets":[8,12]}}
            """, 12, "4 unused bytes at offset 4 before tensor 'b'");

    [Fact]
    public void GapAtTheStart() =>
        HeaderFails("""{"a": {"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8, "4 unused bytes at offset 0");

    [Fact]
    public void BytesAfterTheLastTensor() =>
        HeaderFails($$"""{"a": {{OneFloat}}}""", 9, "5 bytes after the last tensor");

    [Fact]
    public void DataWithoutAnyTensors() => HeaderFails("{}", 3, "3 bytes after the last tensor");

    [Fact]
    public void DuplicateTensorNames() =>
        HeaderFails($$"""{"a": {{OneFloat}}, "a": {{OneFloat}}}""", 4, "lists 'a' more than once");

    [Fact]
    public void DuplicateTensorNamesHiddenByEscapes() =>
        HeaderFails($$"""{"a": {{OneFloat}}, "\u0061": {{OneFloat}}}""", 4, "lists 'a' more than once");

    [Theory]
    [InlineData("\"text\"", "__metadata__ must be a JSON object of strings, found a string")]
    [InlineData("[]", "__metadata__ must be a JSON object of strings, found an array")]
    [InlineData("{\"steps\": 10}", "__metadata__ value 'steps' must be a string, found a number")]
    [InlineData("{\"k\": null}", "__metadata__ value 'k' must be a string, found null")]
    [InlineData("{\"k\": \"1\", \"k\": \"2\"}", "__metadata__ lists 'k' more than once")]
    public void BadMetadata(string metadata, string problem) => HeaderFails($$"""{"__metadata__": {{metadata}}}""", 0, problem);

    [Fact]
    public void MetadataTwice() => HeaderFails("""{"__metadata__": {}, "__metadata__": {}}""", 0, "lists '__metadata__' more than once");

    [Fact]
    public void VeryLongNamesAreShortenedInMessages()
    {
        string name = new('n', 1_000_000);
        var error = HeaderFails($$$"""{"{{{name}}}": {"dtype":"X","shape":[],"data_offsets":[0,0]}}""", 0, "unknown dtype");
        Assert.True(error.Message.Length < 2_000, $"message is {error.Message.Length} characters");
    }

    [Fact]
    public void EveryTruncationOfAValidFileIsRejected()
    {
        var memory = new MemoryStream();
        SafeTensors.Write(memory,
        [
            SafeTensorsWriteEntry.FromFloats("a", [1f, 2f], 2),
            SafeTensorsWriteEntry.FromInt64s("b", [3], 1),
        ], new Dictionary<string, string> { ["k"] = "v" });
        byte[] valid = memory.ToArray();
        Assert.Equal([1f, 2f], SafeTensors.Parse(valid)["a"].ToTensor().Data);

        for (int length = 0; length < valid.Length; length++)
        {
            var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Parse(valid[..length], "cut.safetensors"));
            Assert.StartsWith("cut.safetensors: ", error.Message);
        }
    }

    /// <summary>Random corruption must either still parse or fail with the one documented exception type.</summary>
    [Fact]
    public void RandomCorruptionNeverEscapesAsAnotherException()
    {
        var memory = new MemoryStream();
        SafeTensors.Write(memory,
        [
            SafeTensorsWriteEntry.FromFloats("weight", [1f, 2f, 3f, 4f, 5f, 6f], 2, 3),
            SafeTensorsWriteEntry.FromDoubles("reference", [0.5], 1),
            SafeTensorsWriteEntry.FromInt64s("ids", [], 0),
        ], new Dictionary<string, string> { ["cell"] = "gru" });
        byte[] valid = memory.ToArray();
        var random = new Random(1234);
        int rejected = 0;

        for (int trial = 0; trial < 3000; trial++)
        {
            byte[] corrupt = (byte[])valid.Clone();
            int flips = random.Next(1, 4);
            for (int i = 0; i < flips; i++)
            {
                int position = random.Next(random.Next(2) == 0 ? Math.Min(80, corrupt.Length) : corrupt.Length);
                corrupt[position] = random.Next(3) switch
                {
                    0 => (byte)random.Next(256),
                    1 => (byte)"{}[],:\"0123456789-"[random.Next(18)],
                    _ => (byte)(corrupt[position] ^ (1 << random.Next(8))),
                };
            }
            try
            {
                var file = SafeTensors.Parse(corrupt, "fuzz");
                foreach (var entry in file.Entries)
                {
                    _ = entry.ToDoubles();
                    _ = entry.ToTensor();
                }
            }
            catch (InvalidDataException error)
            {
                Assert.StartsWith("fuzz: ", error.Message);
                rejected++;
            }
        }
        Assert.True(rejected > 1000, $"only {rejected} corruptions were detected; the fuzzing is not reaching the header");
    }

    [Fact]
    public void StreamSourcesAreNamedInMessages()
    {
        byte[] bytes = SafeTensorsTestFiles.Build("{}", claimedHeaderLength: 99);

        var fromStream = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new MemoryStream(bytes)));
        var fromPipe = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new ForwardOnlyStream(bytes), "stdin"));

        Assert.StartsWith("<stream>: ", fromStream.Message);
        Assert.StartsWith("stdin: ", fromPipe.Message);
    }
}
