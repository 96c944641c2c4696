using Carousel.Losses;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Tests.Models;

public class CtcDecodingTests
{
    private static float[] Log(params float[] probabilities) => [.. probabilities.Select(p => MathF.Log(p))];

    [Fact]
    public void GreedyMergesRepeatsAndDropsBlanks()
    {
        // Best path: 1 1 _ 1 2 2 _ → "1 1 2".
        float[] logProbs =
        [
            .. Log(0.1f, 0.8f, 0.1f), .. Log(0.1f, 0.8f, 0.1f), .. Log(0.8f, 0.1f, 0.1f), .. Log(0.2f, 0.7f, 0.1f),
            .. Log(0.1f, 0.2f, 0.7f), .. Log(0.1f, 0.2f, 0.7f), .. Log(0.9f, 0.05f, 0.05f),
        ];
        Assert.Equal([1, 1, 2], CtcDecoding.Greedy(logProbs, 7, 3, 3));
        Assert.Equal([1], CtcDecoding.Greedy(logProbs, 2, 3, 3)); // only the first two steps
    }

    [Fact]
    public void BeamFindsTheLabellingWhoseAlignmentsSumHighestWhereGreedyDoesNot()
    {
        // Two steps, classes blank / a: best path is "_ _" (0.6² = 0.36, labelling ""), but "a" has
        // 1 − 0.36 = 0.64 spread over three alignments (a_, _a, aa).
        float[] logProbs = [.. Log(0.6f, 0.4f), .. Log(0.6f, 0.4f)];
        Assert.Empty(CtcDecoding.Greedy(logProbs, 2, 2, 2));
        var (labels, logP) = CtcDecoding.BeamSearch(logProbs, 2, 2, 2, beamWidth: 4);
        Assert.Equal([1], labels);
        Numerics.Close(Math.Log(0.64), logP, 1e-6, 0, "log p(a)");
    }

    [Fact]
    public void AWideBeamFindsTheMostLikelyLabellingAndItsExactProbability()
    {
        const int T = 4, C = 3;
        var rng = new Rng(12);
        for (int round = 0; round < 20; round++)
        {
            var logProbs = new float[T * C];
            for (int i = 0; i < logProbs.Length; i++) logProbs[i] = (float)(rng.NextDouble() * 3);
            LogSoftmax.Forward(logProbs, C, logProbs);
            // Every labelling of up to T labels from {1, 2}: the best by its exact CTC probability.
            var all = new List<int[]> { Array.Empty<int>() };
            for (int length = 1; length <= T; length++)
                for (int code = 0; code < 1 << length; code++)
                    all.Add([.. Enumerable.Range(0, length).Select(i => 1 + ((code >> i) & 1))]);
            double LogP(int[] target) => -CtcLoss.Compute(logProbs, T, 1, C, [target], [T], default, CtcReduction.Sum).Loss;
            var best = all.MaxBy(LogP)!;
            var (labels, logP) = CtcDecoding.BeamSearch(logProbs, T, C, C, beamWidth: 64);
            Assert.Equal(best, labels);
            Numerics.Close(LogP(best), logP, 1e-5, 1e-6, "beam log p");
            var greedy = CtcDecoding.Greedy(logProbs, T, C, C);
            Assert.True(LogP(labels) >= LogP(greedy) - 1e-9);
        }
    }
}
