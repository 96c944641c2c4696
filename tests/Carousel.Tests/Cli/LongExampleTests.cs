using Carousel.Data;
using Carousel.IO;

namespace Carousel.Tests.Cli;

/// <summary>
/// An example too long for the model (a document on one line) is refused while reading, naming its file:line and the
/// limit, before anything is built for it; a tagger may cut it instead. (A 10-million-character tagging example, a
/// 2-million-token target and a 10-million-character source each ran out of memory, the last after growing to 11.8 GB.)
/// </summary>
[Collection(CliCollection.Name)]
public class LongExampleTests
{
    private static string TagLine(string text) =>
        $"{{\"text\":\"{text}\",\"tags\":\"{new string([.. text.Select(c => char.IsUpper(c) ? 'U' : 'l')])}\"}}\n";

    private static string TagData(string longText) =>
        TagLine("Ab cd") + TagLine("ef Gh") + TagLine(longText) + string.Concat(Enumerable.Range(0, 20).Select(i => TagLine(i % 2 == 0 ? "Xy z" : "ab Cd")));

    [Fact]
    public void ATaggingExampleLongerThanMaxLengthIsRefusedNamingItsLine()
    {
        using var dir = new TempDirectory();
        string data = dir.Write("tags.jsonl", TagData(new string('a', 1001)));
        var (code, _, error) = CliRunner.Run("tag", "train", "--train", data, "--out", dir.File("run"), "--hidden", "4", "--layers", "1", "--steps", "1");
        Assert.Equal(1, code);
        Assert.Equal($"error: {data}:3: the text has 1,001 characters, more than --max-length 1000; raise --max-length, or cut such texts with --cut-long.{Environment.NewLine}", error);
        Assert.False(File.Exists(Path.Combine(dir.File("run"), "checkpoint.safetensors")));

        var (raised, _, raisedError) = CliRunner.Run("tag", "train", "--train", data, "--out", dir.File("run"), "--hidden", "4", "--layers", "1", "--steps", "1",
            "--max-length", "1001", "--threads", "1");
        Assert.True(raised == 0, raisedError);
    }

    [Fact]
    public void CutLongKeepsTheFirstCharactersAndTheirLabels()
    {
        using var dir = new TempDirectory();
        string data = dir.Write("tags.jsonl", "{\"text\":\"AbCdEfGh\",\"tags\":\"UlUlUlUl\"}\n{\"text\":\"x😀yz\",\"tags\":[\"a\",\"b\",\"c\",\"d\"]}\n{\"text\":\"ab\",\"tags\":\"ll\"}\n");
        var examples = TaggedJsonLines.Read(data, "text", "tags", requireTags: true, maxLength: 3, cutLong: true);
        Assert.Equal(["AbC", "x😀y", "ab"], examples.Select(e => e.Text));
        Assert.Equal(["U", "l", "U"], examples[0].Labels!);
        Assert.Equal(["a", "b", "c"], examples[1].Labels!);
        Assert.Equal(["l", "l"], examples[2].Labels!);
        // Cutting does not hide a line whose labels do not match its text.
        string bad = dir.Write("bad.jsonl", "{\"text\":\"AbCdEfGh\",\"tags\":\"UlU\"}\n");
        var e = Assert.Throws<InvalidDataException>(() => TaggedJsonLines.Read(bad, "text", "tags", requireTags: true, maxLength: 3, cutLong: true));
        Assert.StartsWith($"{bad}:1: 'text' has 8 characters but 'tags' has 3 labels", e.Message);
        Assert.Throws<InvalidDataException>(() => TaggedJsonLines.Read(data, "text", "tags", requireTags: true, maxLength: 3));
    }

    [Theory]
    [InlineData("source", "the source has 1,001 characters")]
    [InlineData("target", "the target has 1,001 tokens")]
    public void ASeq2SeqPairLongerThanMaxLengthIsRefusedNamingItsLine(string side, string problem)
    {
        using var dir = new TempDirectory();
        string longLine = side == "source" ? new string('a', 1001) + "\tA B\n" : "abc\t" + string.Join(' ', Enumerable.Repeat("A", 1001)) + "\n";
        string train = dir.Write("train.tsv", "ab\tA B\nba\tB A\n" + longLine + "abc\tA B C\n");
        var (code, _, error) = CliRunner.Run("seq2seq", "train", "--train", train, "--dev", train, "--out", dir.File("run"), "--hidden", "4", "--decoder-hidden", "4");
        Assert.Equal(1, code);
        Assert.Equal($"error: {train}:3: {problem}, more than --max-length 1000; raise --max-length or leave the pair out.{Environment.NewLine}", error);
        Assert.Equal(3, SequencePairs.Read(train, SourceTokens.Chars, maxLength: 1001)[2].Line);
    }

    [Fact]
    public void WordsAreCountedAsTheyAreSplit()
    {
        using var dir = new TempDirectory();
        string pairs = dir.Write("words.tsv", "the  cat sat\t A  B C \n");
        Assert.Single(SequencePairs.Read(pairs, SourceTokens.Words, maxLength: 3));
        var e = Assert.Throws<InvalidDataException>(() => SequencePairs.Read(pairs, SourceTokens.Words, maxLength: 2));
        Assert.Equal($"{pairs}:1: the source has 3 words, more than MaxLength 2; raise MaxLength or leave the pair out.", e.Message);
    }
}
