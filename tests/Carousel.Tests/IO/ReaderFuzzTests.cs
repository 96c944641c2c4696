using System.IO.Compression;
using System.Text;
using Carousel.Data;
using Carousel.IO;
using Carousel.Tensors;
using Carousel.Training;

namespace Carousel.Tests.IO;

/// <summary>
/// Seeded fuzzing of every reader of user files: truncations, byte flips and edited fields of valid safetensors
/// checkpoints, JSON lines (plain and gzip) and TSV pair files. Each damaged file either reads (then what it gives is
/// usable) or is refused with an <see cref="InvalidDataException"/> — never another exception, which would reach the
/// user as an internal error. A few hundred files per reader, a few seconds in all.
/// </summary>
public sealed class ReaderFuzzTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    public void Dispose() => _directory.Dispose();

    private const int Cases = 300;

    /// <summary>The damaged versions of <paramref name="good"/>: cut short, bytes flipped, digits and quotes edited.</summary>
    private static IEnumerable<(string What, byte[] Bytes)> Damaged(byte[] good, ulong seed)
    {
        var rng = new Rng(seed);
        for (int n = 0; n < Cases; n++)
        {
            var bytes = (byte[])good.Clone();
            switch (n % 4)
            {
                case 0:
                    int keep = rng.NextInt(good.Length);
                    yield return ($"cut to {keep} bytes", bytes[..keep]);
                    continue;
                case 1:
                    for (int k = 0, flips = 1 + rng.NextInt(4); k < flips; k++) bytes[rng.NextInt(bytes.Length)] ^= (byte)(1 << rng.NextInt(8));
                    yield return ("bits flipped", bytes);
                    continue;
                case 2:
                    // A field edited: a digit changed, in the part where the header or the text is.
                    int span = Math.Min(bytes.Length, 600);
                    for (int tries = 0; tries < 50; tries++)
                    {
                        int i = rng.NextInt(span);
                        if (bytes[i] is >= (byte)'0' and <= (byte)'9') { bytes[i] = (byte)('0' + rng.NextInt(10)); break; }
                    }
                    yield return ("a digit edited", bytes);
                    continue;
                default:
                    int at = rng.NextInt(bytes.Length);
                    byte[] junk = [(byte)'"', (byte)'{', (byte)'}', (byte)'\n', (byte)'\t', 0xC3, 0x00, (byte)'9'];
                    bytes[at] = junk[rng.NextInt(junk.Length)];
                    yield return ("a structural byte planted", bytes);
                    continue;
            }
        }
    }

    private void Fuzz(string name, byte[] good, ulong seed, Action<string> read)
    {
        string path = _directory.File(name);
        File.WriteAllBytes(path, good);
        read(path); // the undamaged file reads
        int refused = 0;
        foreach (var (what, bytes) in Damaged(good, seed))
        {
            File.WriteAllBytes(path, bytes);
            try { read(path); }
            catch (InvalidDataException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"{name}, {what}: {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.InRange(refused, Cases / 8, Cases); // the damage is real: many files are refused
    }

    [Fact]
    public void DamagedCheckpointsAreReadOrRefusedClearly()
    {
        string dir = _directory.File("ckpt");
        var rng = new Rng(1);
        var w = new Parameter("w", new Tensor(4, 3));
        var b = new Parameter("b", new Tensor(4));
        rng.FillUniform(w.Value.Data, -1, 1);
        ModelCheckpoint.SaveToDirectory(dir, "fuzz/1", [("w", w), ("b", b)], null, new Dictionary<string, string> { ["options"] = "{\"Hidden\":4}" }, 7);
        Fuzz("checkpoint.safetensors", File.ReadAllBytes(Path.Combine(dir, ModelCheckpoint.FileName)), 2, path =>
        {
            var file = ModelCheckpoint.Load(path, "fuzz/1");
            file.LoadWeights([("w", new Parameter("w", new Tensor(4, 3))), ("b", new Parameter("b", new Tensor(4)))]);
            _ = file.GetJson<Dictionary<string, int>>("options");
        });
    }

    private static string JsonLinesText()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 30; i++) sb.Append($"{{\"text\": \"name {i} é\", \"label\": \"{(i % 2 == 0 ? "a" : "b")}\"}}\n");
        return sb.ToString();
    }

    [Fact]
    public void DamagedJsonLinesAreReadOrRefusedClearly() =>
        Fuzz("texts.jsonl", Encoding.UTF8.GetBytes(JsonLinesText()), 3, path => LabelledTextReader.Read(path));

    [Fact]
    public void DamagedGzipJsonLinesAreReadOrRefusedClearly()
    {
        var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true)) zip.Write(Encoding.UTF8.GetBytes(JsonLinesText()));
        Fuzz("texts.jsonl.gz", gz.ToArray(), 4, path => LabelledTextReader.Read(path));
    }

    [Fact]
    public void DamagedTaggedJsonLinesAreReadOrRefusedClearly()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 30; i++) sb.Append($"{{\"sentence\": \"ab{i}\", \"labels\": \"xy{new string('z', i.ToString().Length)}\"}}\n");
        Fuzz("tags.jsonl", Encoding.UTF8.GetBytes(sb.ToString()), 5, path => TaggedJsonLines.Read(path, "sentence", "labels", requireTags: true));
    }

    [Fact]
    public void DamagedPairFilesAreReadOrRefusedClearly()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 30; i++) sb.Append($"word{i}\tW O R D {i}\n");
        Fuzz("pairs.tsv", Encoding.UTF8.GetBytes(sb.ToString()), 6, path => SequencePairs.Read(path, SourceTokens.Chars));
    }

    [Fact]
    public void DamagedTextIsReadOrRefusedClearly() =>
        Fuzz("text.txt", Encoding.UTF8.GetBytes(TempDirectory.SampleText(5)), 7, path => TextCorpus.ReadText(path));

    [Fact]
    public void Utf16TextIsRefusedWithAndWithoutByteOrderMark()
    {
        string text = "ROMEO: hello\n";
        File.WriteAllBytes(_directory.File("bom.txt"), [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(text)]);
        File.WriteAllBytes(_directory.File("nobom.txt"), Encoding.Unicode.GetBytes(text));
        Assert.Contains("UTF-16", Assert.Throws<InvalidDataException>(() => TextCorpus.ReadText(_directory.File("bom.txt"))).Message);
        Assert.Contains("NUL", Assert.Throws<InvalidDataException>(() => TextCorpus.ReadText(_directory.File("nobom.txt"))).Message);
        File.WriteAllBytes(_directory.File("nobom.jsonl"), Encoding.Unicode.GetBytes("{\"text\": \"a\", \"label\": \"b\"}\n"));
        Assert.Contains(":1: holds NUL", Assert.Throws<InvalidDataException>(() => LabelledTextReader.Read(_directory.File("nobom.jsonl"))).Message);
    }

    /// <summary>JSON allows a lone surrogate escape; text cannot hold one: refused with file:line, in a value or a name.</summary>
    [Theory]
    [InlineData("{\"text\": \"ab\\ud800c\", \"label\": \"a\"}")]
    [InlineData("{\"text\": \"abc\", \"label\": \"a\", \"x\\udc00\": 1}")]
    public void AnUnpairedSurrogateIsRefusedWithFileAndLine(string line)
    {
        string path = _directory.File("surrogate.jsonl");
        File.WriteAllText(path, "{\"text\": \"fine\", \"label\": \"b\"}\n" + line + "\n");
        var e = Assert.Throws<InvalidDataException>(() => LabelledTextReader.Read(path));
        Assert.Contains($"{path}:2:", e.Message);
        Assert.Contains("unpaired surrogate", e.Message);
    }

    [Fact]
    public void TruncatedOrExtendedGzipIsSaidToBeSo()
    {
        var gz = new MemoryStream();
        using (var zip = new GZipStream(gz, CompressionLevel.Optimal, leaveOpen: true)) zip.Write(Encoding.UTF8.GetBytes(JsonLinesText()));
        byte[] good = gz.ToArray();
        File.WriteAllBytes(_directory.File("cut.jsonl.gz"), good[..(good.Length - 5)]);
        File.WriteAllBytes(_directory.File("tail.jsonl.gz"), [.. good, .. "garbage"u8.ToArray()]);
        foreach (var name in new[] { "cut.jsonl.gz", "tail.jsonl.gz" })
            Assert.Contains("gzip", Assert.Throws<InvalidDataException>(() => LabelledTextReader.Read(_directory.File(name))).Message);
    }
}
