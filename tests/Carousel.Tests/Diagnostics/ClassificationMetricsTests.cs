using Carousel.Diagnostics;
using Carousel.Data;
using Carousel.Training;

namespace Carousel.Tests.Diagnostics;

public class ClassificationMetricsTests
{
    [Fact]
    public void PrecisionRecallF1AndConfusionOfAHandCheckedExample()
    {
        // truth:     spam spam spam spam ham ham ham ham ham ham
        // predicted: spam spam spam ham  ham ham ham ham spam spam
        string[] labels = ["ham", "spam"];
        int[] truth = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
        int[] predicted = [1, 1, 1, 0, 0, 0, 0, 0, 1, 1];
        var m = ClassificationMetrics.From(labels, truth, predicted);

        Assert.Equal([4, 2], m.Confusion[0]);   // ham: 4 right, 2 called spam
        Assert.Equal([1, 3], m.Confusion[1]);   // spam: 1 missed, 3 caught
        Assert.Equal(0.7, m.Accuracy, 12);
        var spam = m.Scores(1);
        Assert.Equal(3.0 / 5, spam.Precision, 12);  // 3 of the 5 called spam
        Assert.Equal(3.0 / 4, spam.Recall, 12);     // 3 of the 4 spams
        Assert.Equal(2 * 0.6 * 0.75 / 1.35, spam.F1, 12);
        Assert.Equal(4, spam.Support);
        var ham = m.Scores(0);
        Assert.Equal(4.0 / 5, ham.Precision, 12);
        Assert.Equal(4.0 / 6, ham.Recall, 12);
        Assert.Equal((spam.F1 + ham.F1) / 2, m.MacroF1, 12);
    }

    [Fact]
    public void AClassNeverPredictedHasZeroPrecisionNotNaN()
    {
        var m = ClassificationMetrics.From(["a", "b", "c"], [0, 1, 2], [0, 0, 0]);
        Assert.Equal(0, m.Scores(1).Precision);
        Assert.Equal(0, m.Scores(1).F1);
        Assert.Equal(1.0 / 3, m.Scores(0).Precision, 12);
    }

    [Fact]
    public void CharactersOutsideTheAlphabetReadAsUnknownAndTextsAreCutToTheMaximumLength()
    {
        var symbols = TextSymbols.Build(SymbolLevel.Chars, maxLength: 4, ["abab", "cc"], minCount: 2);
        Assert.Equal(3 + 1, symbols.Count);                    // a, b, c and the unknown symbol
        Assert.Equal([1, 2, TextSymbols.UnknownId, 3], symbols.Encode("abzcab"));
        var bytes = new TextSymbols(SymbolLevel.Bytes, maxLength: 3);
        Assert.Equal([0xC3 + 1, 0xA9 + 1, 'x' + 1], bytes.Encode("éxyz")); // é is two UTF-8 bytes
        var restored = TextSymbols.FromRecord(symbols.ToRecord());
        Assert.Equal(symbols.Encode("abzcab"), restored.Encode("abzcab"));
    }
}
