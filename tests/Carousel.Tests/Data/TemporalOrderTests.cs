using Xunit;
using Carousel.Data.Tasks;

namespace Carousel.Tests.Data;

public class TemporalOrderTests
{
    [Theory]
    [InlineData("XX", 0)]
    [InlineData("XY", 1)]
    [InlineData("YX", 2)]
    [InlineData("YY", 3)]
    [InlineData("XXX", 0)]
    [InlineData("XXY", 1)]
    [InlineData("XYX", 2)]
    [InlineData("XYY", 3)]
    [InlineData("YXX", 4)]
    [InlineData("YXY", 5)]
    [InlineData("YYX", 6)]
    [InlineData("YYY", 7)]
    public void ClassFollowsThePapersRules(string relevant, int label) => Assert.Equal(label, TemporalOrder.ClassOf(relevant));

    [Fact]
    public void ClassNamesMatchThePaper()
    {
        var a = TemporalOrder.Task6a(0);
        Assert.Equal('R', a.ClassNames[TemporalOrder.ClassOf("XY")]);
        Assert.Equal('U', a.ClassNames[TemporalOrder.ClassOf("YY")]);
        var b = TemporalOrder.Task6b(0);
        Assert.Equal('V', b.ClassNames[TemporalOrder.ClassOf("YXX")]);
        Assert.Equal('A', b.ClassNames[TemporalOrder.ClassOf("YXY")]);
        Assert.Equal('C', b.ClassNames[TemporalOrder.ClassOf("YYY")]);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void SequencesHaveThePapersStructure(int k)
    {
        var task = new TemporalOrder(k, seed: 5);
        (int From, int To)[] windows = k == 2 ? [(10, 20), (50, 60)] : [(10, 20), (33, 43), (66, 76)];
        var classCounts = new int[task.ClassCount];
        var seenPositions = new HashSet<int>[k];
        for (int i = 0; i < k; i++) seenPositions[i] = [];
        for (int n = 0; n < 2000; n++)
        {
            var seq = task.NextSequence();
            string s = seq.Symbols;
            Assert.InRange(s.Length, 100, 110);
            Assert.Equal('E', s[0]);
            Assert.Equal('B', s[^1]);
            int[] relevantAt = Enumerable.Range(0, s.Length).Where(t => s[t] is 'X' or 'Y').ToArray();
            Assert.Equal(seq.Positions, relevantAt);
            for (int i = 0; i < k; i++)
            {
                int paperPosition = relevantAt[i] + 1; // the paper counts from 1
                Assert.InRange(paperPosition, windows[i].From, windows[i].To);
                seenPositions[i].Add(paperPosition);
            }
            for (int t = 1; t < s.Length - 1; t++)
                if (!relevantAt.Contains(t)) Assert.InRange(s[t], 'a', 'd');
            string relevant = new(relevantAt.Select(t => s[t]).ToArray());
            Assert.Equal(TemporalOrder.ClassOf(relevant), seq.Label);
            classCounts[seq.Label]++;
        }
        for (int i = 0; i < k; i++) Assert.Equal(11, seenPositions[i].Count); // every position of each window occurs
        int expected = 2000 / task.ClassCount;
        Assert.All(classCounts, c => Assert.InRange(c, expected * 7 / 10, expected * 13 / 10));
    }

    [Fact]
    public void BatchIsOneHotAndPadded()
    {
        var task = TemporalOrder.Task6b(seed: 6);
        var sequences = Enumerable.Range(0, 16).Select(_ => task.NextSequence()).ToArray();
        var batch = TemporalOrder.Encode(sequences);
        Assert.Equal(8, batch.FeatureCount);
        Assert.Equal(sequences.Max(q => q.Symbols.Length), batch.Steps);
        for (int b = 0; b < 16; b++)
        {
            Assert.Equal(sequences[b].Label, batch.Labels[b]);
            Assert.Equal(sequences[b].Symbols.Length, batch.Lengths[b]);
            for (int t = 0; t < batch.Steps; t++)
            {
                var x = batch.Inputs.Data.AsSpan((t * 16 + b) * 8, 8);
                if (t < batch.Lengths[b])
                {
                    Assert.Equal(1f, x.ToArray().Sum());
                    Assert.Equal(1f, x[TemporalOrder.Alphabet.IndexOf(sequences[b].Symbols[t])]);
                }
                else
                {
                    Assert.Equal(0f, x.ToArray().Sum());
                }
            }
        }
    }

    [Fact]
    public void CorrectnessCriterion()
    {
        Assert.True(TemporalOrder.IsCorrect([0.1f, 0.8f, 0.2f, 0.0f], 1));
        Assert.False(TemporalOrder.IsCorrect([0.1f, 0.69f, 0.2f, 0.0f], 1));
        Assert.False(TemporalOrder.IsCorrect([0.1f, 0.8f, 0.31f, 0.0f], 1));
    }

    [Fact]
    public void SameSeedSameDataDifferentSeedDifferentData()
    {
        var a = TemporalOrder.Task6a(11).NextBatch(8);
        var b = TemporalOrder.Task6a(11).NextBatch(8);
        var c = TemporalOrder.Task6a(12).NextBatch(8);
        Assert.Equal(a.Inputs.Data, b.Inputs.Data);
        Assert.Equal(a.Labels, b.Labels);
        Assert.NotEqual(a.Inputs.Data, c.Inputs.Data);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TemporalOrder(4, 0));
    }
}
