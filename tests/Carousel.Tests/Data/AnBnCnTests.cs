using Xunit;
using Carousel.Data.Tasks;

namespace Carousel.Tests.Data;

public class AnBnCnTests
{
    private static int Set(string symbols) => LegalSets.FromSymbols(symbols, AnBnCn.Alphabet);

    [Fact]
    public void LegalSetsForNEquals3ByHand()
    {
        var lang = new AnBnCn(seed: 0);
        // input:      S     a     a     a     b    b    b    c    c    c
        int[] expected = [Set("aT"), Set("ab"), Set("ab"), Set("ab"), Set("b"), Set("b"), Set("c"), Set("c"), Set("c"), Set("T")];
        Assert.Equal(expected, lang.LegalNextSets(3));
        Assert.Equal(expected, lang.LegalNextSets("SaaabbbcccT"));

        var noEmpty = new AnBnCn(seed: 0, includeEmpty: false);
        int[] strict = noEmpty.LegalNextSets(3);
        Assert.Equal(Set("a"), strict[0]);
        Assert.Equal(expected[1..], strict[1..]);
    }

    [Fact]
    public void LegalNextOfEveryPrefixAgreesWithTheSequenceOfSets()
    {
        foreach (bool includeEmpty in new[] { true, false })
        {
            var lang = new AnBnCn(0, includeEmpty);
            for (int n = 1; n <= 6; n++)
            {
                string s = AnBnCn.Make(n);
                int[] masks = lang.LegalNextSets(n);
                for (int t = 0; t < masks.Length; t++)
                {
                    Assert.Equal(masks[t], lang.LegalNext(s[..(t + 1)]));
                    Assert.True(LegalSets.Contains(masks[t], AnBnCn.Alphabet.IndexOf(s[t + 1])));
                }
                Assert.Equal(0, lang.LegalNext(s)); // complete
            }
        }
    }

    [Theory]
    [InlineData("Sb")]
    [InlineData("Sabb")]
    [InlineData("Saabbbc")]
    [InlineData("Saabcc")]
    [InlineData("Saabbccc")]
    [InlineData("Sabca")]
    [InlineData("aS")]
    [InlineData("SaT")]
    [InlineData("Sx")]
    public void NonViablePrefixesHaveNoLegalContinuation(string prefix) => Assert.Equal(0, new AnBnCn(0).LegalNext(prefix));

    [Fact]
    public void Membership()
    {
        var lang = new AnBnCn(0);
        for (int n = 1; n <= 20; n++) Assert.True(lang.IsMember(AnBnCn.Make(n)));
        Assert.True(lang.IsMember("ST"));
        Assert.False(new AnBnCn(0, includeEmpty: false).IsMember("ST"));
        foreach (string s in new[] { "", "S", "SabcT ", "SaabbcT", "SabbcT", "SabcabcT", "SaabbccTT", "SbacT", "Sabc", "abc" })
            Assert.False(lang.IsMember(s), s);
    }

    [Fact]
    public void EncodeBuildsTheBatch()
    {
        var lang = new AnBnCn(0);
        var batch = lang.Encode([1, 3, 2]);
        Assert.Equal([10, 3, 5], batch.Inputs.Shape);
        Assert.Equal([4, 10, 7], batch.Lengths);
        // Row 1 (n = 3) reads S a a a b b b c c c and never T.
        string read = "";
        for (int t = 0; t < 10; t++)
        {
            var x = batch.Inputs.Data.AsSpan((t * 3 + 1) * 5, 5);
            Assert.Equal(0f, x[AnBnCn.T]);
            read += AnBnCn.Alphabet[x.IndexOf(1f)];
            Assert.Equal(lang.LegalNextSets(3)[t], batch.Masks[t * 3 + 1]);
        }
        Assert.Equal("Saaabbbccc", read);
        // Row 0 (n = 1) is padded after 4 steps.
        for (int t = 4; t < 10; t++)
        {
            Assert.Equal(0, batch.Masks[t * 3]);
            Assert.Equal(0f, batch.Inputs.Data.AsSpan(t * 3 * 5, 5).ToArray().Sum());
        }
    }

    [Fact]
    public void AcceptanceNeedsEveryStepRight()
    {
        var lang = new AnBnCn(0);
        int n = 3;
        int[] masks = lang.LegalNextSets(n);
        var probs = new float[masks.Length * 5];
        for (int t = 0; t < masks.Length; t++)
            for (int k = 0; k < 5; k++)
                probs[t * 5 + k] = LegalSets.Contains(masks[t], k) ? 0.7f : 0.2f;
        Assert.True(lang.Accepts(n, probs));

        // Counting wrong by one: predicting T after the second c.
        probs[8 * 5 + AnBnCn.T] = 0.6f;
        Assert.False(lang.Accepts(n, probs));
        probs[8 * 5 + AnBnCn.T] = 0.2f;
        // Not predicting b after the first a.
        probs[1 * 5 + AnBnCn.B] = 0.4f;
        Assert.False(lang.Accepts(n, probs));
        Assert.Throws<ArgumentException>(() => lang.Accepts(4, probs)); // wrong length
    }

    [Fact]
    public void TrainingAndTestRanges()
    {
        Assert.Equal(Enumerable.Range(1, 10).ToArray(), AnBnCn.Range(1, 10));
        var a = new AnBnCn(seed: 5).Shuffled(1, 10);
        var b = new AnBnCn(seed: 5).Shuffled(1, 10);
        var c = new AnBnCn(seed: 6).Shuffled(1, 10);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal(AnBnCn.Range(1, 10), a.Order().ToArray());

        int[] sample = new AnBnCn(seed: 7).Sample(500, 11, 50);
        Assert.All(sample, x => Assert.InRange(x, 11, 50));
        Assert.Equal(sample, new AnBnCn(seed: 7).Sample(500, 11, 50));
        Assert.True(sample.Distinct().Count() > 30);
    }
}
