using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.EncoderDecoder;

namespace Carousel.Tests.Models;

public class Seq2SeqTests
{
    private static readonly int[][] Sources = Seq2SeqGradientTests.Sources;
    private static readonly int[][] Targets = Seq2SeqGradientTests.Targets;

    [Theory]
    [InlineData(CellKind.Lstm, true)]
    [InlineData(CellKind.Gru, false)]
    public void PaddedBatchGivesWhatEachPairGivesAlone(CellKind cell, bool attention)
    {
        var model = Seq2SeqGradientTests.TinyModel(cell, bidirectional: true, attention, seed: 3);
        var parameters = model.NamedParameters().Select(p => p.Parameter).ToList();

        // Batch: total loss = mean · count, and gradients of the total.
        parameters.ZeroGrad();
        var (mean, count) = model.Forward(Seq2SeqBatch.From(Sources, Targets, [0, 1, 2]));
        model.Backward();
        var batchGradients = parameters.Select(p => Scaled(p.Grad.Data, count)).ToList();

        double total = 0;
        var sumGradients = parameters.Select(p => new double[p.Grad.Length]).ToList();
        for (int i = 0; i < Sources.Length; i++)
        {
            parameters.ZeroGrad();
            var (alone, n) = model.Forward(Seq2SeqBatch.From(Sources, Targets, [i]));
            Assert.Equal(Targets[i].Length + 1, n);
            model.Backward();
            total += alone * n;
            for (int k = 0; k < parameters.Count; k++)
                for (int j = 0; j < sumGradients[k].Length; j++) sumGradients[k][j] += (double)parameters[k].Grad.Data[j] * n;
        }
        Assert.Equal(Targets.Sum(t => t.Length + 1), count);
        Numerics.Close(total, mean * count, 1e-5, 1e-5, "total loss");
        for (int k = 0; k < parameters.Count; k++)
            for (int j = 0; j < sumGradients[k].Length; j++)
                Numerics.Close(sumGradients[k][j], batchGradients[k][j], 1e-3, 1e-4, $"{parameters[k].Name}[{j}]");
    }

    private static double[] Scaled(float[] values, int factor) => values.Select(v => (double)v * factor).ToArray();

    [Fact]
    public void InitialLossIsAboutLogOfTheTargetVocabulary()
    {
        var model = new Seq2Seq(new Seq2SeqConfig { SourceVocabulary = 7, TargetVocabulary = 40, Embedding = 8, EncoderHidden = 8, DecoderHidden = 16 }, new Rng(1));
        var (loss, _) = model.Forward(Seq2SeqBatch.From(Sources, Targets, [0, 1, 2]));
        Assert.InRange(loss, Math.Log(40) - 0.5, Math.Log(40) + 0.5);
    }

    /// <summary>Reversing strings over 5 symbols (lengths 2 to 6): learnt in a few hundred small steps.</summary>
    internal static (List<int[]> Sources, List<int[]> Targets) ReversalTask(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var sources = new List<int[]>();
        var targets = new List<int[]>();
        for (int i = 0; i < count; i++)
        {
            var s = new int[2 + rng.NextInt(5)];
            for (int t = 0; t < s.Length; t++) s[t] = TokenVocabulary.Reserved.Length + rng.NextInt(5);
            sources.Add(s);
            targets.Add(s.Reverse().ToArray());
        }
        return (sources, targets);
    }

    private static readonly Lazy<Seq2Seq> Trained = new(() =>
    {
        var model = new Seq2Seq(new Seq2SeqConfig
        {
            SourceVocabulary = 8, TargetVocabulary = 8, Embedding = 16, EncoderHidden = 32, DecoderHidden = 48, Attention = true,
        }, new Rng(7));
        var (sources, targets) = ReversalTask(2000, seed: 11);
        var adam = new Adam(model.NamedParameters(), 1e-2f);
        var parameters = model.NamedParameters().Select(p => p.Parameter).ToList();
        var rng = new Rng(3);
        for (int epoch = 0; epoch < 6; epoch++)
            foreach (var examples in LengthBuckets.Plan(sources.Select(s => s.Length).ToArray(), 32, rng))
            {
                adam.ZeroGrad();
                model.Forward(Seq2SeqBatch.From(sources, targets, examples));
                model.Backward();
                GradientClipping.ClipByGlobalNorm(parameters, 5);
                adam.Step();
            }
        model.Training = false;
        return model;
    });

    [Fact]
    public void LearnsToReverseShortStrings()
    {
        var (sources, targets) = ReversalTask(200, seed: 99); // other strings than training's (mostly)
        var outputs = Seq2SeqEvaluator.Decode(Trained.Value, sources, beams: 1);
        int right = Enumerable.Range(0, sources.Count).Count(i => outputs[i][0].Tokens.SequenceEqual(targets[i]));
        Assert.True(right >= 190, $"only {right} of 200 reversed");
    }

    [Fact]
    public void BeamOfOneIsGreedyAndWiderBeamsNeverScoreWorse()
    {
        foreach (var model in new[] { Trained.Value, Seq2SeqGradientTests.TinyModel(CellKind.Lstm, true, true, seed: 9) })
        {
            var (sources, _) = ReversalTask(60, seed: 5);
            if (model.Config.SourceVocabulary == 7) sources = sources.Select(s => s.Select(x => Math.Min(x, 6)).ToArray()).ToList();
            var greedy = Seq2SeqEvaluator.Decode(model, sources, beams: 1);
            var beamOfOne = DecodeBeam(model, sources, 1);
            var wide = DecodeBeam(model, sources, 4);
            for (int i = 0; i < sources.Count; i++)
            {
                Assert.Equal(greedy[i][0].Tokens, beamOfOne[i][0].Tokens);
                Assert.Equal(greedy[i][0].LogProbability, beamOfOne[i][0].LogProbability, 9);
                Assert.True(wide[i][0].LogProbability >= greedy[i][0].LogProbability - 1e-6,
                    $"source {i}: beam {wide[i][0].LogProbability} < greedy {greedy[i][0].LogProbability}");
                Assert.True(wide[i].Count <= 4 && wide[i].Zip(wide[i].Skip(1)).All(p => p.First.Score >= p.Second.Score), "n-best sorted");
            }
        }
    }

    // Beam search even for K = 1 (the evaluator takes the greedy path for one beam).
    private static List<Hypothesis>[] DecodeBeam(Seq2Seq model, List<int[]> sources, int beams)
    {
        var batch = PaddedBatch.From(sources, Enumerable.Range(0, sources.Count).ToArray(), TokenVocabulary.PadId);
        return Seq2SeqDecoding.Beam(model, batch, beams);
    }

    [Fact]
    public void GreedyLogProbabilityIsTheTeacherForcedLossOfItsOwnOutput()
    {
        var model = Trained.Value;
        var (sources, _) = ReversalTask(20, seed: 8);
        var greedy = Seq2SeqEvaluator.Decode(model, sources, beams: 1);
        for (int i = 0; i < sources.Count; i++)
        {
            var (mean, count) = model.Forward(Seq2SeqBatch.From([sources[i]], [greedy[i][0].Tokens], [0]));
            Numerics.Close(-mean * count, greedy[i][0].LogProbability, 1e-4, 1e-4, $"source {i}");
        }
    }

    /// <summary>
    /// With input feeding the teacher-forced pass (stepped over a padded batch, h̃ fed back) and step-by-step decoding (one
    /// source at a time, h̃ carried in the state) are the same model: the decoder forced along each target gives, summed over
    /// the targets and their end symbols, minus the batch's total loss.
    /// </summary>
    [Theory]
    [InlineData(CellKind.Lstm, 1)]
    [InlineData(CellKind.Gru, 2)]
    public void InputFeedingDecodingMatchesItsTeacherForcedPass(CellKind cell, int decoderLayers)
    {
        var model = Seq2SeqGradientTests.TinyModel(cell, bidirectional: true, attention: true, decoderLayers: decoderLayers, seed: 21, inputFeeding: true);
        var (mean, count) = model.Forward(Seq2SeqBatch.From(Sources, Targets, [0, 1, 2]));
        double forced = 0;
        int V = model.Config.TargetVocabulary;
        var logProbabilities = new float[V];
        for (int i = 0; i < Sources.Length; i++)
        {
            var state = model.StartDecoding(PaddedBatch.From(Sources, [i], TokenVocabulary.PadId), beams: 1);
            int previous = TokenVocabulary.StartId;
            foreach (int next in Targets[i].Append(TokenVocabulary.EndId))
            {
                state = model.DecodeStep([previous], state, logProbabilities);
                forced += logProbabilities[next];
                previous = next;
            }
        }
        Numerics.Close(-mean * count, forced, 1e-4, 1e-4, "log-probability of the targets");
    }

    [Fact]
    public void CheckpointRoundTripsAndRejectsAnotherKind()
    {
        using var dir = new TempDirectory();
        var model = Seq2SeqGradientTests.TinyModel(CellKind.Lstm, true, true, seed: 4);
        var source = new TokenVocabulary(["a", "b", "c", "d"]);
        var target = new TokenVocabulary(["A", "B", "C", "D"]);
        Seq2SeqCheckpoint.Save(dir.Path, model, source, target, SourceTokens.Chars, optimizer: null, step: 12);
        Assert.True(File.Exists(dir.File(ModelCheckpoint.WeightsFileName)));

        var loaded = Seq2SeqCheckpoint.Load(dir.Path);
        Assert.Equal(12, loaded.Step);
        Assert.Equal(target.Symbols, loaded.TargetVocabulary.Symbols);
        Assert.Equal(model.Config, loaded.Model.Config);
        var batch = Seq2SeqBatch.From(Sources, Targets, [0, 1, 2]);
        model.Training = false;
        Assert.Equal(model.Forward(batch).MeanLoss, loaded.Model.Forward(batch).MeanLoss);

        string other = dir.File("tagger.safetensors");
        ModelCheckpoint.Save(other, "sequence-tagger/1", model.NamedParameters(), null, new Dictionary<string, string>(), 0);
        var e = Assert.Throws<InvalidDataException>(() => Seq2SeqCheckpoint.Load(other));
        Assert.Contains("sequence-tagger/1", e.Message);
    }
}
