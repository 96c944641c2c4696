using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Training.EncoderDecoder;

namespace Carousel.Tests.Models;

/// <summary>Ensembles at decode time (mean log-probabilities per step) and checkpoint averaging (mean weights).</summary>
public class Seq2SeqEnsembleTests
{
    private static readonly int[][] Sources = Seq2SeqGradientTests.Sources;

    /// <summary>
    /// The ensemble's greedy output scores, step by step, the mean of the models' log-probabilities: its log-probability is
    /// the mean of what each model, forced along that output, gives it. One of the models feeds its input, one does not.
    /// </summary>
    [Fact]
    public void EnsembleScoresAreTheMeanOfTheModelsLogProbabilities()
    {
        Seq2Seq[] models =
        [
            Seq2SeqGradientTests.TinyModel(CellKind.Lstm, true, true, seed: 31),
            Seq2SeqGradientTests.TinyModel(CellKind.Lstm, true, true, seed: 32, inputFeeding: true),
        ];
        var batch = PaddedBatch.From(Sources, [0, 1, 2], TokenVocabulary.PadId);
        var greedy = Seq2SeqDecoding.Greedy(models, batch);
        var beamOfOne = Seq2SeqDecoding.Beam(models, batch, beams: 1);
        for (int i = 0; i < Sources.Length; i++)
        {
            var tokens = greedy[i].Finished ? greedy[i].Tokens.Append(TokenVocabulary.EndId).ToArray() : greedy[i].Tokens;
            double mean = models.Average(m => Forced(m, i, tokens));
            Numerics.Close(mean, greedy[i].LogProbability, 1e-5, 1e-5, $"source {i}");
            Assert.Equal(greedy[i].Tokens, beamOfOne[i][0].Tokens);
        }
        // not simply one model's choice: the two disagree somewhere, alone
        Assert.NotEqual(Seq2SeqDecoding.Greedy(models[0], batch).Select(h => h.LogProbability), Seq2SeqDecoding.Greedy(models[1], batch).Select(h => h.LogProbability));
    }

    // ln P(tokens | source i of Seq2SeqGradientTests.Sources) under one model, decoding one row a symbol at a time along the
    // tokens as the model writes them (independent of Seq2SeqDecoding's batched paths)
    internal static double Forced(Seq2Seq model, int source, int[] tokens)
    {
        var logProbabilities = new float[model.Config.TargetVocabulary];
        var state = model.StartDecoding(PaddedBatch.From(Sources, [source], TokenVocabulary.PadId), beams: 1);
        int previous = TokenVocabulary.StartId;
        double sum = 0;
        foreach (int next in tokens)
        {
            state = model.DecodeStep([previous], state, logProbabilities);
            sum += logProbabilities[next];
            previous = next;
        }
        return sum;
    }

    [Fact]
    public void AveragedCheckpointHoldsTheMeanOfTheWeights()
    {
        var vocabulary = new TokenVocabulary(["a", "b", "c", "d"]);
        Seq2SeqCheckpoint Checkpoint(ulong seed, long step, bool inputFeeding = false) =>
            new(Seq2SeqGradientTests.TinyModel(CellKind.Gru, true, true, seed: seed, inputFeeding: inputFeeding), vocabulary, vocabulary, SourceTokens.Chars, step,
                new Dictionary<string, string>());
        var a = Checkpoint(1, 10);
        var b = Checkpoint(2, 20);
        var c = Checkpoint(3, 30);
        var expected = a.Model.NamedParameters().Select((p, k) =>
            p.Parameter.Value.Data.Select((v, j) => (v + b.Model.NamedParameters()[k].Parameter.Value.Data[j] + (double)c.Model.NamedParameters()[k].Parameter.Value.Data[j]) / 3).ToArray()).ToList();

        var averaged = Seq2SeqCheckpoint.Average([a, b, c]);
        Assert.Equal(30, averaged.Step);
        var parameters = averaged.Model.NamedParameters();
        for (int k = 0; k < parameters.Count; k++)
            for (int j = 0; j < expected[k].Length; j++)
                Numerics.Close(expected[k][j], parameters[k].Parameter.Value.Data[j], 1e-6, 1e-7, $"{parameters[k].Name}[{j}]");

        Assert.Throws<InvalidDataException>(() => Seq2SeqCheckpoint.Average([Checkpoint(1, 1), Checkpoint(2, 2, inputFeeding: true)]));
    }
}
