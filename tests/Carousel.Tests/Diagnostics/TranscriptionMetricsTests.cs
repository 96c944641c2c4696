using Carousel.Diagnostics;
using Carousel.Training;

namespace Carousel.Tests.Diagnostics;

public class TranscriptionMetricsTests
{
    private static string[] P(string phonemes) => phonemes.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Theory]
    [InlineData("K AE T", "K AE T", 0)]
    [InlineData("K AE T", "K AH T", 1)]        // substitution
    [InlineData("K AE T", "K AE T S", 1)]      // insertion
    [InlineData("K AE T", "AE T", 1)]          // deletion
    [InlineData("", "K AE T", 3)]
    [InlineData("K AE T", "", 3)]
    [InlineData("S IH T IH NG", "K IH T AH N", 3)]
    [InlineData("AH B", "B AH", 2)]            // a swap is two edits
    public void EditDistanceCountsInsertionsDeletionsAndSubstitutions(string a, string b, int expected)
    {
        Assert.Equal(expected, TranscriptionMetrics.EditDistance(P(a), P(b)));
        Assert.Equal(expected, TranscriptionMetrics.EditDistance(P(b), P(a)));
    }

    [Fact]
    public void ScoresAgainstTheClosestOfSeveralPronunciations()
    {
        // word 1: right by its second pronunciation; word 2: one edit from the longer reference, three from the shorter;
        // word 3: two edits from both references of length 2 and 3 — ties go to the first.
        var outputs = new[] { P("T AH M EY T OW"), P("R IY D Z"), P("EH K") };
        var references = new IReadOnlyList<string[]>[]
        {
            [P("T AH M AA T OW"), P("T AH M EY T OW")],
            [P("R EH D"), P("R IY D Z IH")],
            [P("AH L"), P("EH L S")],
        };
        var m = TranscriptionMetrics.Compute(outputs, references);
        Assert.Equal(3, m.Words);
        Assert.Equal(2, m.WrongWords);
        Assert.Equal(0 + 1 + 2, m.Edits);
        Assert.Equal(6 + 5 + 2, m.ReferenceLength);
        Assert.Equal(3.0 / 13, m.PhonemeErrorRate, 12);
        Assert.Equal(2.0 / 3, m.WordErrorRate, 12);
    }

    [Fact]
    public void RejectsMismatchedOrMissingReferences()
    {
        Assert.Throws<ArgumentException>(() => TranscriptionMetrics.Compute([P("A")], []));
        Assert.Throws<ArgumentException>(() => TranscriptionMetrics.Compute([P("A")], [Array.Empty<string[]>()]));
    }
}
