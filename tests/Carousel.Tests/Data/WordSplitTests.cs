using Carousel.Data;

namespace Carousel.Tests.Data;

public class WordSplitTests
{
    // 200 words, every fifth with a second pronunciation (a second pair of the same source).
    private static List<SequencePair> Pairs()
    {
        var pairs = new List<SequencePair>();
        for (int i = 0; i < 200; i++)
        {
            string[] word = [.. $"w{i}".Select(c => c.ToString())];
            pairs.Add(new SequencePair(word, ["A", $"P{i % 7}"], pairs.Count + 1));
            if (i % 5 == 0) pairs.Add(new SequencePair(word, ["B", $"P{i % 3}"], pairs.Count + 1));
        }
        return pairs;
    }

    [Fact]
    public void AllPronunciationsOfAWordLandOnTheSameSide()
    {
        var (kept, held) = WordSplit.BySource(Pairs(), 0.1, seed: 4);
        var heldWords = held.Select(p => string.Concat(p.Source)).ToHashSet();
        var keptWords = kept.Select(p => string.Concat(p.Source)).ToHashSet();
        Assert.Empty(heldWords.Intersect(keptWords));
        Assert.Equal(20, heldWords.Count);                     // round(0.1 · 200) words
        Assert.Equal(Pairs().Count, kept.Count + held.Count);  // every pair on one side
        Assert.Contains(held, p => p.Target[0] == "B");        // some held-out word has its second pronunciation with it
        var heldLines = held.Select(p => p.Line).ToHashSet();
        Assert.All(Pairs().Where(p => heldWords.Contains(string.Concat(p.Source))), p => Assert.Contains(p.Line, heldLines));
    }

    [Fact]
    public void TheSplitDependsOnTheSeedOnlyNotOnTheOrderOfTheFile()
    {
        var pairs = Pairs();
        var (_, held) = WordSplit.BySource(pairs, 0.1, seed: 4);
        var shuffled = pairs.OrderBy(p => (p.Line * 7919) % 263).ToList();
        var (_, heldShuffled) = WordSplit.BySource(shuffled, 0.1, seed: 4);
        Assert.Equal(held.Select(p => p.Line).Order(), heldShuffled.Select(p => p.Line).Order());
        var (_, other) = WordSplit.BySource(pairs, 0.1, seed: 5);
        Assert.NotEqual(held.Select(p => p.Line).Order(), other.Select(p => p.Line).Order());
    }

    [Fact]
    public void AFractionThatLeavesNoSideIsRefused()
    {
        Assert.Throws<SettingException>(() => WordSplit.BySource(Pairs(), 0, seed: 1));
        Assert.Throws<SettingException>(() => WordSplit.BySource(Pairs(), 1, seed: 1));
        Assert.Throws<SettingException>(() => WordSplit.BySource(Pairs().Take(2).ToList(), 0.9, seed: 1)); // one word: nothing left to train on
    }
}
