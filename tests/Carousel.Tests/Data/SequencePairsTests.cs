using Carousel.Data;

namespace Carousel.Tests.Data;

public class SequencePairsTests
{
    [Fact]
    public void ReadsCharactersAndTokensSkippingBlankLinesAndKeepingLineNumbers()
    {
        using var dir = new TempDirectory();
        string path = dir.Write("pairs.tsv", "CAT\tK AE T\n\nA'S\tEY  Z\r\nA\tAH\nA\tEY\n");
        var pairs = SequencePairs.Read(path, SourceTokens.Chars);
        Assert.Equal(4, pairs.Count);
        Assert.Equal(["C", "A", "T"], pairs[0].Source);
        Assert.Equal(["K", "AE", "T"], pairs[0].Target);
        Assert.Equal(["A", "'", "S"], pairs[1].Source);
        Assert.Equal(["EY", "Z"], pairs[1].Target);
        Assert.Equal(3, pairs[1].Line);
        var groups = SequencePairs.GroupBySource(pairs);
        Assert.Equal(3, groups.Count);
        Assert.Equal([["AH"], ["EY"]], groups[2].Targets);

        var words = SequencePairs.Read(dir.Write("words.tsv", "the cat\tle chat\n"), SourceTokens.Words);
        Assert.Equal(["the", "cat"], words[0].Source);
    }

    [Theory]
    [InlineData("CAT\tK AE T\nDOG D AO G\n", "pairs.tsv:2", "no tab")]
    [InlineData("CAT\tK AE T\n\n\t D AO G\n", "pairs.tsv:3", "source is empty")]
    [InlineData("CAT\t  \n", "pairs.tsv:1", "target is empty")]
    [InlineData("CAT\tK AE T\nDOG\tD AO\tG\n", "pairs.tsv:2", "more")]
    [InlineData("\n\n", "pairs.tsv", "no SOURCE<TAB>TARGET")]
    public void MalformedLinesNameTheFileAndLine(string text, string where, string what)
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<InvalidDataException>(() => SequencePairs.Read(dir.Write("pairs.tsv", text), SourceTokens.Chars));
        Assert.Contains(where, e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void MissingFileAndInvalidUtf8AreClearErrors()
    {
        using var dir = new TempDirectory();
        Assert.Throws<FileNotFoundException>(() => SequencePairs.Read(dir.File("absent.tsv"), SourceTokens.Chars));
        string bad = dir.File("bad.tsv");
        File.WriteAllBytes(bad, [(byte)'A', (byte)'\t', (byte)'B', (byte)'\n', 0xC3, 0x28, (byte)'\t', (byte)'B', (byte)'\n']);
        var e = Assert.Throws<InvalidDataException>(() => SequencePairs.Read(bad, SourceTokens.Chars));
        Assert.Contains("UTF-8", e.Message);
    }

    [Fact]
    public void VocabularyReservesPaddingStartEndAndRejectsUnseenSymbols()
    {
        var vocabulary = new TokenVocabulary(["T", "K", "AE", "K"]);
        Assert.Equal(["<pad>", "<s>", "</s>", "AE", "K", "T"], vocabulary.Symbols);
        Assert.Equal([4, 3, 5], vocabulary.Encode(["K", "AE", "T"], "here"));
        Assert.Equal(["K", "AE"], vocabulary.Decode([4, 3, TokenVocabulary.EndId, 5]));
        var e = Assert.Throws<InvalidDataException>(() => vocabulary.Encode(["K", "Q"], "dev word 'KQ'"));
        Assert.Contains("'Q'", e.Message);
        Assert.Contains("dev word 'KQ'", e.Message);
        Assert.Throws<InvalidDataException>(() => vocabulary.Encode(["</s>"], "here")); // reserved symbols are not input
        Assert.Equal(vocabulary.Symbols, TokenVocabulary.FromSymbols(vocabulary.Symbols).Symbols);
        Assert.Throws<InvalidDataException>(() => TokenVocabulary.FromSymbols(["AE", "K"]));
    }
}
