using Carousel.Data.Tasks;

namespace Carousel.Tests.Data;

public class HeldOutSplitTests
{
    [Fact]
    public void EveryStringIsAlwaysOnTheSameSide()
    {
        var a = new HeldOutSplit(0.25, seed: 3);
        var b = new HeldOutSplit(0.25, seed: 3);
        var strings = new EmbeddedReberGrammar(seed: 1).NextDistinctStrings(500);
        Assert.All(strings, s => Assert.Equal(a.IsHeldOut(s), b.IsHeldOut(s)));
        Assert.All(strings, s => Assert.NotEqual(a.IsHeldOut(s), a.IsForTraining(s)));
    }

    [Fact]
    public void TheHeldOutShareOfDistinctStringsIsTheFraction()
    {
        var strings = new EmbeddedReberGrammar(seed: 1).NextDistinctStrings(2000);
        var split = new HeldOutSplit(0.25, seed: 1);
        int heldOut = strings.Count(split.IsHeldOut);
        Assert.InRange(heldOut, 420, 580);   // 500 expected, ± 5 standard deviations

        var other = new HeldOutSplit(0.25, seed: 2);
        Assert.Contains(strings, s => split.IsHeldOut(s) != other.IsHeldOut(s));
    }

    [Fact]
    public void BothSidesHaveShortAndLongStrings()
    {
        var grammar = new EmbeddedReberGrammar(seed: 1);
        var split = new HeldOutSplit(0.25, seed: 1);
        var test = grammar.NextDistinctStrings(256, split.IsHeldOut);
        var training = Enumerable.Range(0, 2000).Select(_ => grammar.NextString(split.IsForTraining)).ToArray();

        Assert.All(test, s => Assert.True(split.IsHeldOut(s) && EmbeddedReberGrammar.IsEmbeddedReber(s), s));
        Assert.Empty(training.Intersect(test));
        Assert.Contains(test, s => s.Length <= 11);
        Assert.Contains(training, s => s.Length <= 10);
        Assert.Contains(test, s => s.Length >= 20);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void TheFractionMustBeStrictlyBetweenZeroAndOne(double fraction) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new HeldOutSplit(fraction, seed: 1));
}
