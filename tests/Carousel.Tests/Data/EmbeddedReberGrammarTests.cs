using Xunit;
using Carousel.Data.Tasks;

namespace Carousel.Tests.Data;

public class EmbeddedReberGrammarTests
{
    private const string Alphabet = EmbeddedReberGrammar.Alphabet;

    private static int Set(string symbols) => LegalSets.FromSymbols(symbols, Alphabet);

    [Theory]
    [InlineData("BTXSE")]
    [InlineData("BPVVE")]
    [InlineData("BTSSXSE")]
    [InlineData("BTXXVPSE")]
    [InlineData("BPTVPXVVE")]
    [InlineData("BTSXXTVVE")]
    public void KnownReberStringsAreAccepted(string s)
    {
        Assert.True(EmbeddedReberGrammar.IsReber(s));
        Assert.False(EmbeddedReberGrammar.IsEmbeddedReber(s));
        Assert.True(EmbeddedReberGrammar.IsEmbeddedReber("BT" + s + "TE"));
        Assert.True(EmbeddedReberGrammar.IsEmbeddedReber("BP" + s + "PE"));
        Assert.False(EmbeddedReberGrammar.IsEmbeddedReber("BT" + s + "PE"));
        Assert.False(EmbeddedReberGrammar.IsEmbeddedReber("BP" + s + "TE"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("B")]
    [InlineData("BTXS")]        // no E
    [InlineData("BTXSEE")]      // extra E
    [InlineData("BTXVE")]       // X then V is not an edge
    [InlineData("BPVPE")]       // after VP one needs X or S
    [InlineData("TXSE")]        // no B
    [InlineData("BTXSe")]       // not a symbol
    [InlineData("BTTXSE")]
    public void NonReberStringsAreRejected(string s)
    {
        Assert.False(EmbeddedReberGrammar.IsReber(s));
        Assert.False(EmbeddedReberGrammar.IsEmbeddedReber("BT" + s + "TE"));
    }

    [Fact]
    public void GeneratedStringsAreInTheGrammar()
    {
        var g = new EmbeddedReberGrammar(seed: 1);
        int tBranch = 0;
        for (int i = 0; i < 500; i++)
        {
            string s = g.NextString();
            Assert.True(EmbeddedReberGrammar.IsEmbeddedReber(s), s);
            Assert.Equal('B', s[0]);
            Assert.Equal(s[1], s[^2]);   // the symbol before last repeats the second one
            Assert.Equal('E', s[^1]);
            Assert.True(EmbeddedReberGrammar.IsReber(s[2..^2]), s);
            if (s[1] == 'T') tBranch++;

            string r = g.NextReberString();
            Assert.True(EmbeddedReberGrammar.IsReber(r), r);
            Assert.False(EmbeddedReberGrammar.IsEmbeddedReber(r), r);
        }
        Assert.InRange(tBranch, 200, 300); // each branch with probability 0.5
    }

    [Fact]
    public void RandomStringsAreMostlyRejected()
    {
        var rng = new Random(7);
        int acceptedEmbedded = 0, acceptedPlain = 0;
        for (int i = 0; i < 2000; i++)
        {
            var chars = new char[rng.Next(5, 20)];
            for (int k = 0; k < chars.Length; k++) chars[k] = Alphabet[rng.Next(Alphabet.Length)];
            string s = new(chars);
            if (EmbeddedReberGrammar.IsEmbeddedReber(s)) acceptedEmbedded++;
            if (EmbeddedReberGrammar.IsReber(s)) acceptedPlain++;
        }
        Assert.True(acceptedEmbedded < 5, $"{acceptedEmbedded} random strings accepted");
        Assert.True(acceptedPlain < 20, $"{acceptedPlain} random strings accepted");
    }

    [Fact]
    public void LegalNextSetsOfAnEmbeddedStringByHand()
    {
        // B T | B T X S E | T E
        int[] masks = EmbeddedReberGrammar.LegalNextSets("BTBTXSETE");
        int[] expected =
        [
            Set("TP"), // after B
            Set("B"),  // after BT
            Set("TP"), // after BTB
            Set("SX"), // after BTBT
            Set("SX"), // after BTBTX
            Set("E"),  // after BTBTXS
            Set("T"),  // after BTBTXSE: must repeat the second symbol
            Set("E"),  // after BTBTXSET
        ];
        Assert.Equal(expected, masks);

        int[] p = EmbeddedReberGrammar.LegalNextSets("BPBPVVEPE");
        Assert.Equal(Set("TP"), p[0]);
        Assert.Equal(Set("B"), p[1]);
        Assert.Equal(Set("TV"), p[3]);  // after BPBP
        Assert.Equal(Set("PV"), p[4]);  // after BPBPV
        Assert.Equal(Set("P"), p[6]);   // after BPBPVVE
        Assert.Equal(Set("E"), p[7]);
    }

    [Fact]
    public void LegalNextSetsOfAPlainStringByHand()
    {
        Assert.Equal([Set("TP"), Set("TV"), Set("PV"), Set("E")], EmbeddedReberGrammar.ReberLegalNextSets("BPVVE"));
        Assert.Equal([Set("TP"), Set("SX"), Set("SX"), Set("TV"), Set("PV"), Set("SX"), Set("E")],
            EmbeddedReberGrammar.ReberLegalNextSets("BTXXVPSE"));
        Assert.Equal("TP", LegalSets.ToSymbols(EmbeddedReberGrammar.ReberLegalNextSets("BTXSE")[0], Alphabet));
    }

    [Fact]
    public void LegalNextSetsRejectStringsOutsideTheGrammar() =>
        Assert.Throws<ArgumentException>(() => EmbeddedReberGrammar.LegalNextSets("BTBTXSEPE"));

    [Fact]
    public void EveryActualNextSymbolIsLegal()
    {
        var g = new EmbeddedReberGrammar(seed: 2);
        foreach (string s in g.NextStrings(200))
        {
            int[] masks = EmbeddedReberGrammar.LegalNextSets(s);
            Assert.Equal(s.Length - 1, masks.Length);
            for (int t = 0; t < masks.Length; t++)
                Assert.True(LegalSets.Contains(masks[t], Alphabet.IndexOf(s[t + 1])), $"{s} at {t}");
        }
    }

    [Fact]
    public void EncodePadsATimeMajorBatch()
    {
        string[] strings = ["BTBTXSETE", "BPBPTVPXVVEPE", "BTBPVVETE"];
        var batch = EmbeddedReberGrammar.Encode(strings);
        int steps = 12, rows = 3, v = 7;
        Assert.Equal([steps, rows, v], batch.Inputs.Shape);
        Assert.Equal([steps, rows, v], batch.Targets.Shape);
        Assert.Equal([8, 12, 8], batch.Lengths);
        for (int b = 0; b < rows; b++)
        {
            int[] masks = EmbeddedReberGrammar.LegalNextSets(strings[b]);
            for (int t = 0; t < steps; t++)
            {
                int row = t * rows + b;
                for (int k = 0; k < v; k++)
                {
                    float x = batch.Inputs.Data[row * v + k], y = batch.Targets.Data[row * v + k];
                    if (t < batch.Lengths[b])
                    {
                        Assert.Equal(Alphabet[k] == strings[b][t] ? 1f : 0f, x);
                        Assert.Equal(LegalSets.Contains(masks[t], k) ? 1f : 0f, y);
                    }
                    else
                    {
                        Assert.Equal(0f, x);
                        Assert.Equal(0f, y);
                    }
                }
                Assert.Equal(t < batch.Lengths[b] ? masks[t] : 0, batch.Masks[row]);
            }
        }
    }

    [Fact]
    public void PredictionCriteria()
    {
        const string s = "BTBTXSETE";
        int[] masks = EmbeddedReberGrammar.LegalNextSets(s);
        var probs = new float[masks.Length * 7];
        for (int t = 0; t < masks.Length; t++)
            for (int k = 0; k < 7; k++)
                probs[t * 7 + k] = LegalSets.Contains(masks[t], k) ? 0.9f : 0.1f;
        Assert.True(EmbeddedReberGrammar.PredictsString(s, probs));
        Assert.True(EmbeddedReberGrammar.PredictsStringByRank(s, probs));

        // Forgetting the branch at the symbol before last: predict P as well as T after BTBTXSE.
        probs[6 * 7 + Alphabet.IndexOf('P')] = 0.8f;
        Assert.False(EmbeddedReberGrammar.PredictsString(s, probs));
        Assert.True(EmbeddedReberGrammar.PredictsStringByRank(s, probs));  // P (0.8) still ranks below the legal T (0.9)
        probs[6 * 7 + Alphabet.IndexOf('P')] = 0.95f;
        Assert.False(EmbeddedReberGrammar.PredictsStringByRank(s, probs));
    }

    [Fact]
    public void ThresholdAndRankCriteriaDiffer()
    {
        int mask = Set("TP");
        float[] low = [0.1f, 0.3f, 0.3f, 0.1f, 0.1f, 0.1f, 0.1f];   // right order, but below 0.5
        Assert.False(LegalSets.StepCorrect(low, mask));
        Assert.True(LegalSets.StepCorrectByRank(low, mask));
        float[] atThreshold = [0f, 0.5f, 0.9f, 0f, 0f, 0f, 0f];    // 0.5 is not above 0.5
        Assert.False(LegalSets.StepCorrect(atThreshold, mask));
        float[] tie = [0.3f, 0.3f, 0.9f, 0f, 0f, 0f, 0f];          // illegal B ties with legal T
        Assert.False(LegalSets.StepCorrectByRank(tie, mask));
        float[] extra = [0f, 0.9f, 0.9f, 0.6f, 0f, 0f, 0f];        // S also above the threshold
        Assert.False(LegalSets.StepCorrect(extra, mask));
        Assert.True(LegalSets.StepCorrect([0f, 0.9f, 0.9f, 0.4f, 0f, 0f, 0f], mask));
    }

    [Fact]
    public void BatchCriterionScoresRows()
    {
        var batch = EmbeddedReberGrammar.Encode(["BTBTXSETE", "BPBPVVEPE"]);
        var outputs = (float[])batch.Targets.Data.Clone(); // perfect 0/1 predictions (padding rows are ignored)
        Assert.Equal(2, batch.CountCorrect(outputs));
        outputs[(6 * 2 + 1) * 7 + Alphabet.IndexOf('T')] = 1f; // row 1 says T may follow BPBPVVE
        Assert.True(batch.RowCorrect(outputs, 0));
        Assert.False(batch.RowCorrect(outputs, 1));
        Assert.False(batch.RowCorrectByRank(outputs, 1));
        Assert.Equal(1, batch.CountCorrect(outputs));
    }

    [Fact]
    public void SameSeedSameStringsDifferentSeedDifferentStrings()
    {
        string[] a = new EmbeddedReberGrammar(42).NextStrings(50);
        string[] b = new EmbeddedReberGrammar(42).NextStrings(50);
        string[] c = new EmbeddedReberGrammar(43).NextStrings(50);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void DistinctTrainingAndTestSets()
    {
        var g = new EmbeddedReberGrammar(3);
        string[] train = g.NextDistinctStrings(256);
        string[] test = g.NextDistinctStrings(256, new HashSet<string>(train));
        Assert.Equal(256, train.Distinct().Count());
        Assert.Equal(256, test.Distinct().Count());
        Assert.Empty(train.Intersect(test));
    }
}
