using System.Text.Json;
using Carousel.Data;

namespace Carousel.Tests.Data;

public class WordSymbolsTests
{
    [Fact]
    public void WordLevelSplitsAtWhitespaceKeepsFrequentWordsAndReadsOthersAsUnknown()
    {
        var symbols = TextSymbols.Build(SymbolLevel.Words, maxLength: 3, ["the cat  sat", "the\tdog sat down the end", "a cat"], minCount: 2);
        Assert.Equal(["cat", "sat", "the"], symbols.Words!); // "down", "dog", "a" once; "end" past max length
        Assert.Equal(4, symbols.Count);
        Assert.Equal([3, 0, 2], symbols.Encode(" the  bird sat cat")); // at most 3 words
        Assert.Empty(symbols.Encode("   "));

        var json = JsonSerializer.Serialize(symbols.ToRecord());
        var back = TextSymbols.FromRecord(JsonSerializer.Deserialize<TextSymbolsRecord>(json)!);
        Assert.Equal(SymbolLevel.Words, back.Level);
        Assert.Equal(symbols.Words!, back.Words!);
        Assert.Equal(symbols.Encode("cat sat the"), back.Encode("cat sat the"));
        Assert.DoesNotContain("Words", JsonSerializer.Serialize(TextSymbols.Build(SymbolLevel.Chars, 5, ["abc"]).ToRecord()));
        Assert.Equal(SymbolLevel.Words, TextSymbols.ParseLevel("words"));
    }
}
