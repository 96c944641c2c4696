using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Training;
using Carousel.Training.EncoderDecoder;

namespace Carousel.Tests.Models;

/// <summary>Right-to-left models (trained on reversed targets), teacher-forced scoring, and ensembles of both directions.</summary>
public class Seq2SeqRightToLeftTests
{
    private static readonly int[][] Sources = Seq2SeqGradientTests.Sources;
    private static PaddedBatch All => PaddedBatch.From(Sources, [0, 1, 2], TokenVocabulary.PadId);

    // PyTorch's initialisation (not the gradient tests' larger weights): outputs of a few symbols that mostly end.
    private static Seq2Seq Model(ulong seed, bool rightToLeft = false, CellKind cell = CellKind.Lstm) => new(new Seq2SeqConfig
    {
        Cell = cell, SourceVocabulary = 7, TargetVocabulary = 7, Embedding = 3, EncoderHidden = 4, DecoderHidden = 5, RightToLeft = rightToLeft,
    }, new Tensors.Rng(seed));

    /// <summary>The same weights read as a right-to-left model: what it writes is the left-to-right model's output, reversed back.</summary>
    [Fact]
    public void RightToLeftOutputsComeBackInReadingOrder()
    {
        var forward = Seq2SeqGradientTests.TinyModel(CellKind.Gru, true, true, seed: 42);
        var backward = Seq2SeqGradientTests.TinyModel(CellKind.Gru, true, true, seed: 42, rightToLeft: true);
        var greedy = Seq2SeqDecoding.Greedy(forward, All);
        var reversedGreedy = Seq2SeqDecoding.Greedy(backward, All);
        var beam = Seq2SeqDecoding.Beam(forward, All, beams: 3);
        var reversedBeam = Seq2SeqDecoding.Beam(backward, All, beams: 3);
        for (int b = 0; b < Sources.Length; b++)
        {
            Assert.Equal(greedy[b].Tokens.Reverse(), reversedGreedy[b].Tokens);
            Assert.Equal(greedy[b].LogProbability, reversedGreedy[b].LogProbability);
            Assert.Equal(beam[b].Count, reversedBeam[b].Count);
            for (int k = 0; k < beam[b].Count; k++) Assert.Equal(beam[b][k].Tokens.Reverse(), reversedBeam[b][k].Tokens);
        }
        Assert.Contains(beam.SelectMany(list => list), h => !h.Tokens.SequenceEqual(h.Tokens.Reverse())); // the reversal shows somewhere
    }

    /// <summary>
    /// <see cref="Seq2SeqDecoding.Score"/> scores candidate lists of any lengths and counts (none, too) in one batched pass:
    /// each equals a one-row decode forced along the candidate (reversed for a right-to-left model) and the end symbol, and
    /// the beam's finished outputs get back their own log-probabilities.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ScoringForcesTheModelAlongEachCandidate(bool rightToLeft)
    {
        var model = Model(42, rightToLeft, CellKind.Gru);
        int[][][] candidates = [[[3, 4], [5], []], [[6, 6, 3, 4, 5]], []];
        var scores = Seq2SeqDecoding.Score(model, All, [.. candidates.Select(c => (IReadOnlyList<int[]>)c)]);
        for (int b = 0; b < Sources.Length; b++)
        {
            Assert.Equal(candidates[b].Length, scores[b].Length);
            for (int c = 0; c < candidates[b].Length; c++)
            {
                var written = rightToLeft ? candidates[b][c].Reverse() : candidates[b][c];
                Numerics.Close(Seq2SeqEnsembleTests.Forced(model, b, [.. written, TokenVocabulary.EndId]), scores[b][c], 1e-5, 1e-5, $"source {b}, candidate {c}");
            }
        }
        var beam = Seq2SeqDecoding.Beam(model, All, beams: 4);
        var finished = beam.Select(list => list.Where(h => h.Finished).ToList()).ToArray();
        Assert.True(finished.Sum(list => list.Count) >= 3, "finished outputs to compare");
        var own = Seq2SeqDecoding.Score(model, All, [.. finished.Select(list => (IReadOnlyList<int[]>)[.. list.Select(h => h.Tokens)])]);
        for (int b = 0; b < Sources.Length; b++)
            for (int c = 0; c < finished[b].Count; c++)
                Numerics.Close(finished[b][c].LogProbability, own[b][c], 1e-5, 1e-5, $"source {b}, output {c}");
    }

    /// <summary>
    /// An ensemble of both directions: each direction's beam proposes, and the union is ranked by the mean of every model's
    /// forced log-probability — checked against a brute-force ranking of the same union.
    /// </summary>
    [Fact]
    public void BothDirectionsProposeAndAllModelsRank()
    {
        Seq2Seq[] models =
        [
            Seq2SeqGradientTests.TinyModel(CellKind.Lstm, true, true, seed: 43),
            Seq2SeqGradientTests.TinyModel(CellKind.Lstm, true, true, seed: 44, rightToLeft: true),
            Seq2SeqGradientTests.TinyModel(CellKind.Lstm, true, true, seed: 45, rightToLeft: true),
        ];
        const int K = 3;
        var decoded = Seq2SeqDecoding.Decode(models, All, K);
        var leftToRight = Seq2SeqDecoding.Beam(models[..1], All, K);
        var rightToLeft = Seq2SeqDecoding.Beam(models[1..], All, K);
        Assert.Throws<ArgumentException>(() => Seq2SeqDecoding.Beam(models, All, K)); // one search needs one direction
        bool unionLarger = false;
        for (int b = 0; b < Sources.Length; b++)
        {
            var union = leftToRight[b].Concat(rightToLeft[b]).Select(h => h.Tokens).DistinctBy(t => string.Join(',', t)).ToList();
            unionLarger |= union.Count > K;
            var one = PaddedBatch.From(Sources, [b], TokenVocabulary.PadId);
            var mean = union.Select(t => models.Average(m => Seq2SeqDecoding.Score(m, one, [[t]])[0][0])).ToList();
            var expected = union.Zip(mean).OrderByDescending(p => p.Second).Take(K).ToList();
            Assert.Equal(expected.Count, decoded[b].Count);
            for (int k = 0; k < expected.Count; k++)
            {
                Assert.Equal(expected[k].First, decoded[b][k].Tokens);
                Numerics.Close(expected[k].Second, decoded[b][k].LogProbability, 1e-5, 1e-5, $"source {b}, rank {k}");
            }
        }
        Assert.True(unionLarger, "the two directions propose different candidates");
    }

    /// <summary>
    /// With a length penalty α, one direction's beam and an ensemble of both directions rank alike: by ln P / (length + 1)^α,
    /// the end symbol counted, best first.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LengthPenaltyDividesByLengthWithTheEndSymbol(bool bothDirections)
    {
        const double alpha = 0.7;
        Seq2Seq[] models = bothDirections
            ? [Seq2SeqGradientTests.TinyModel(CellKind.Lstm, true, true, seed: 43), Seq2SeqGradientTests.TinyModel(CellKind.Lstm, true, true, seed: 44, rightToLeft: true)]
            : [Seq2SeqGradientTests.TinyModel(CellKind.Lstm, true, true, seed: 43)];
        var decoded = Seq2SeqDecoding.Decode(models, All, beams: 3, lengthPenalty: alpha);
        foreach (var list in decoded)
        {
            Assert.NotEmpty(list);
            foreach (var h in list)
                Numerics.Close(h.LogProbability / Math.Pow(h.Tokens.Length + 1, alpha), h.Score, 1e-12, 1e-12, string.Join(',', h.Tokens));
            Assert.Equal(list.Select(h => h.Score).OrderDescending(), list.Select(h => h.Score));
        }
    }

    /// <summary>
    /// Trained through the one loop on copying (target = the source's letters, upper-cased), a right-to-left model learns to
    /// write each word backwards — and decoding hands the copies back in reading order.
    /// </summary>
    [Fact]
    public void TrainsOnReversedTargetsAndDecodesInReadingOrder()
    {
        var rng = new Tensors.Rng(5);
        List<SequencePair> Copies(int count) => [.. Enumerable.Range(0, count).Select(i =>
        {
            var word = new string([.. Enumerable.Range(0, 2 + rng.NextInt(4)).Select(_ => (char)('a' + rng.NextInt(5)))]);
            return SequencePairs.Parse($"{word}\t{string.Join(' ', word.ToUpperInvariant().ToCharArray())}", SourceTokens.Chars, $"line {i + 1}", i + 1);
        })];
        var train = Copies(1500);
        var dev = Copies(100);
        var options = new Seq2SeqTrainingOptions
        {
            Embedding = 16, EncoderHidden = 24, DecoderHidden = 32, Epochs = 5, BatchSize = 32, Dropout = 0, LearningRate = 1e-2f, RightToLeft = true,
        };
        using var dir = new TempDirectory();
        var training = new Seq2SeqTraining(options, train, dev);
        Assert.True(training.Seq2Seq.Config.RightToLeft);
        var summary = new Trainer<int[]>(training, training.Run(dir.Path)).Run();
        var scores = Seq2SeqTraining.Scores(summary.Best)!;
        Assert.True(scores.WrongWords <= 5, $"{scores.WrongWords} of {scores.Words} dev words wrong");

        var saved = Seq2SeqCheckpoint.Load(dir.Path);
        Assert.True(saved.Model.Config.RightToLeft);
        var source = saved.SourceVocabulary.Encode(["c", "a", "b", "e"], "test");
        var output = Seq2SeqEvaluator.Decode(saved.Model, [source], beams: 2)[0][0];
        Assert.Equal(["C", "A", "B", "E"], saved.TargetVocabulary.Decode(output.Tokens));
    }
}
