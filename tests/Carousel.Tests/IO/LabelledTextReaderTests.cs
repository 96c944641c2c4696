using System.IO.Compression;
using System.Text;
using Carousel.Data;
using Carousel.IO;

namespace Carousel.Tests.IO;

public class LabelledTextReaderTests
{
    private const string TwoLines = "{\"text\": \"free money\", \"label\": \"spam\"}\n\n{\"text\": \"lunch?\", \"label\": \"ham\", \"id\": 2}\n";

    [Fact]
    public void ReadsJsonLinesPlainAndGzipAlike()
    {
        using var dir = new TempDirectory();
        string plain = dir.Write("d.jsonl", TwoLines);
        string gz = dir.File("d.jsonl.gz"); // the name does not matter: the magic bytes do
        using (var file = File.Create(gz))
        using (var zip = new GZipStream(file, CompressionLevel.Fastest))
            zip.Write(Encoding.UTF8.GetBytes(TwoLines));
        string disguised = dir.File("gzip-without-suffix");
        File.Copy(gz, disguised);

        foreach (var path in new[] { plain, gz, disguised })
        {
            var examples = LabelledTextReader.Read(path);
            Assert.Equal([new LabelledText("free money", "spam"), new LabelledText("lunch?", "ham")], examples);
        }
    }

    [Fact]
    public void ReadsOtherFieldNamesAndNumericLabels()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("d.jsonl", "{\"body\": \"good\", \"stars\": 5}\n");
        Assert.Equal([new LabelledText("good", "5")], LabelledTextReader.Read(path, "body", "stars"));
    }

    [Fact]
    public void ReadsAFolderWithOneSubfolderPerLabel()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.File("pos"));
        Directory.CreateDirectory(dir.File("neg"));
        File.WriteAllText(Path.Combine(dir.Path, "pos", "1.txt"), "great film");
        File.WriteAllText(Path.Combine(dir.Path, "pos", "2.txt"), "loved it\nreally");
        File.WriteAllText(Path.Combine(dir.Path, "neg", "a.txt"), "dull");
        File.WriteAllText(Path.Combine(dir.Path, "neg", ".hidden"), "");
        var examples = LabelledTextReader.Read(dir.Path);
        Assert.Equal([new("dull", "neg"), new("great film", "pos"), new("loved it\nreally", "pos")], examples);
    }

    [Theory]
    [InlineData("{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \n", ":2: not valid JSON")]
    [InlineData("{\"text\": \"a\", \"label\": \"x\"}\n\n{\"label\": \"y\"}\n", ":3: missing field 'text'")]
    [InlineData("{\"text\": \"a\"}\n", ":1: missing field 'label'")]
    [InlineData("{\"text\": \"\", \"label\": \"x\"}\n", ":1: empty text")]
    [InlineData("{\"text\": 5, \"label\": \"x\"}\n", ":1: field 'text' is Number")]
    [InlineData("[1, 2]\n", ":1: expected a JSON object")]
    [InlineData("\n\n", "no examples")]
    public void BadLinesAreReportedWithTheirLineNumber(string content, string expected)
    {
        using var dir = new TempDirectory();
        string path = dir.Write("bad.jsonl", content);
        var e = Assert.Throws<InvalidDataException>(() => LabelledTextReader.Read(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains("bad.jsonl", e.Message);
    }

    [Fact]
    public void ReadsLineFilesAndTextsToClassify()
    {
        using var dir = new TempDirectory();
        string names = dir.Write("female.txt", "Anna\n\nBeth \n");
        Assert.Equal([new("Anna", "female"), new("Beth", "female")], LabelledTextReader.ReadLines(names, "female"));

        Assert.Equal(["one", "two"], LabelledTextReader.ReadTexts(dir.Write("plain.txt", "one\ntwo\n")));
        Assert.Equal(["one", "{not json"], LabelledTextReader.ReadTexts(dir.Write("plain2.txt", "one\n{not json\n")));
        Assert.Equal(["x y", "z"], LabelledTextReader.ReadTexts(dir.Write("j.jsonl", "{\"text\": \"x y\"}\n{\"text\": \"z\"}\n")));
        var e = Assert.Throws<InvalidDataException>(() => LabelledTextReader.ReadTexts(dir.Write("gap.txt", "one\n\nthree\n")));
        Assert.Contains("gap.txt:2: empty text", e.Message);
    }

    [Fact]
    public void ConflictingTextsAreDroppedAndTheSplitKeepsCopiesTogether()
    {
        List<LabelledText> examples = [new("Kim", "female"), new("Kim", "male"), new("Ann", "female"), new("Bob", "male"), new("Bob", "male")];
        var (kept, conflicts) = LabelledTexts.DropConflicts(examples);
        Assert.Equal(1, conflicts);
        Assert.DoesNotContain(kept, e => e.Text == "Kim");
        Assert.Equal(3, kept.Count);

        var many = Enumerable.Range(0, 200).SelectMany(i => new[] { new LabelledText($"t{i}", "a"), new LabelledText($"t{i}", "a") }).ToList();
        var (train, dev) = LabelledTexts.Split(many, 0.1, seed: 3);
        Assert.Equal(40, dev.Count);                       // 20 distinct texts, both copies
        Assert.Empty(train.Select(e => e.Text).Intersect(dev.Select(e => e.Text)));
        Assert.Equal(dev, LabelledTexts.Split(many, 0.1, seed: 3).Dev);
        Assert.NotEqual(dev, LabelledTexts.Split(many, 0.1, seed: 4).Dev);
    }
}
