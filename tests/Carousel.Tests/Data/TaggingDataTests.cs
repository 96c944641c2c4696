using Carousel.IO;
using Carousel.Data;
using Carousel.Data.Tagging;

namespace Carousel.Tests.Data;

public class TaggingDataTests
{
    private const string Play = "ROMEO:\nIs the day so young?\n\nBENVOLIO:\nBut new struck nine. I'll go to Élise in Rome 2day.\n";

    [Fact]
    public void TruecasingLabelsEachCapitalAndRestoresTheTextExactly()
    {
        var example = Truecasing.Derive(Play, "play");
        Assert.Equal(Play.ToLowerInvariant(), example.Text);
        Assert.Equal(Play.Length, example.Labels!.Length);
        for (int i = 0; i < Play.Length; i++)
            Assert.Equal(char.IsUpper(Play[i]) ? Truecasing.Upper : Truecasing.Lower, example.Labels[i]);
        Assert.Equal(Play, Truecasing.Restore(example.Text, example.Labels));
        Assert.Equal(Play.ToLowerInvariant(), Truecasing.Lowercase(Play));
        Assert.Throws<ArgumentException>(() => Truecasing.Restore(example.Text, example.Labels[1..]));
    }

    [Fact]
    public void BlocksEndAtBlankLinesStayWithinTheLimitAndCoverTheTextOnce()
    {
        string text = Play + new string('x', 25) + "\nshort\nlines\nhere\n\n\nend";
        var blocks = Truecasing.Blocks(text, maxLength: 10);
        Assert.Equal(text, string.Concat(blocks));
        Assert.All(blocks, b => Assert.InRange(b.Length, 1, 10));
        Assert.Equal("ROMEO:\n", blocks[0]);
        Assert.Contains("xxxxxxxxxx", blocks);                      // a long line cut into pieces
        Assert.Contains("lines\n", blocks);                         // next line would overflow: a new block
        var wide = Truecasing.Blocks(text, maxLength: 1000);
        Assert.Equal("ROMEO:\nIs the day so young?\n\n", wide[0]);   // a blank line ends a speech
        Assert.Equal(text, string.Concat(wide));
        var examples = Truecasing.Examples(text, 10, "t");
        Assert.Equal(blocks.Count, examples.Count);
        Assert.Equal(text.Length, examples.Sum(e => e.Length));
    }

    [Fact]
    public void SplitIsByPositionAndTheBaselineFollowsItsRules()
    {
        var (train, heldOut) = Truecasing.Split("abcdefghij", 0.3);
        Assert.Equal("abcdefg", train);
        Assert.Equal("hij", heldOut);
        string lowered = "hello. i think i'll go\nbob is his name";
        var labels = Truecasing.Baseline(lowered);
        string restored = Truecasing.Restore(lowered, labels);
        Assert.Equal("Hello. I think I'll go\nBob is his name", restored);
    }

    private static string WriteLines(TempDirectory dir, params string[] lines) => dir.Write("data.jsonl", string.Join("\n", lines) + "\n");

    [Fact]
    public void JsonLinesTakeAStringOrAnArrayOfLabels()
    {
        using var dir = new TempDirectory();
        string path = WriteLines(dir, "{\"text\":\"abc\",\"tags\":\"xyx\"}", "", "{\"text\":\"hi\",\"other\":1}");
        var examples = TaggedJsonLines.Read(path, "text", "tags", requireTags: false);
        Assert.Equal(["x", "y", "x"], examples[0].Labels!);
        Assert.Null(examples[1].Labels);
        var custom = TaggedJsonLines.Parse("{\"sentence\":\"hi\",\"labels\":[\"B-X\",\"O\"]}", "s", "sentence", "labels", requireTags: true);
        Assert.Equal(["B-X", "O"], custom.Labels!);
        string line = TaggedJsonLines.Format("hé", ["B-X", "O"], "text", "tags", TagsFormat.Array);
        Assert.Equal(["B-X", "O"], TaggedJsonLines.Parse(line, "s", "text", "tags", true).Labels!);
        Assert.Contains("hé", line);
    }

    public static TheoryData<string, string> BadLines() => new()
    {
        { "{\"text\": \"ab\", \"tags\": \"xy\"", "not valid JSON" },
        { "{\"tags\": \"xy\"}", "missing field 'text'" },
        { "{\"text\": \"ab\"}", "missing field 'tags'" },
        { "{\"text\": \"\", \"tags\": \"\"}", "empty sequence" },
        { "{\"text\": \"abc\", \"tags\": \"xy\"}", "3 characters but 'tags' has 2 labels" },
        { "{\"text\": 5, \"tags\": \"x\"}", "must be a string" },
        { "[1, 2]", "expected a JSON object" },
        { "{\"text\": \"ab\", \"tags\": [\"x\", 3]}", "label 1 of 'tags'" },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public void ReaderErrorsNameTheFileAndLine(string badLine, string message)
    {
        using var dir = new TempDirectory();
        string path = WriteLines(dir, "{\"text\":\"ab\",\"tags\":\"xy\"}", "", badLine);
        var e = Assert.Throws<InvalidDataException>(() => TaggedJsonLines.Read(path, "text", "tags", requireTags: true));
        Assert.Contains($"{path}:3:", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void VocabularyMapsUnknownCharactersAndRejectsUnseenLabels()
    {
        var train = new List<TaggedExample> { new("abca", ["x", "y", "x", "x"], "t:1") };
        var vocabulary = TaggingVocabulary.FromExamples(train);
        Assert.Equal(["x", "y"], vocabulary.Labels);
        Assert.Equal([0, 1, vocabulary.UnknownId], vocabulary.EncodeText("abz"));
        Assert.Equal([1, 0], vocabulary.EncodeLabels(new TaggedExample("ab", ["y", "x"], "d:1")));
        var e = Assert.Throws<InvalidDataException>(() => vocabulary.EncodeLabels(new TaggedExample("ab", ["x", "q"], "dev.jsonl:7")));
        Assert.Contains("dev.jsonl:7", e.Message);
        Assert.Contains("'q'", e.Message);
        Assert.Throws<InvalidDataException>(() => TaggingVocabulary.FromExamples([new TaggedExample("ab", ["x", "x"], "t:1")]));
    }
}
