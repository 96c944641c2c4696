using Carousel.Data;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Char;

namespace Carousel.Tests.Training;

/// <summary>
/// Williams and Peng's BPTT(h; h′) for the character model: h′ = h is today's stream batching, and a window that reaches
/// back to the stream's start is full BPTT of the new characters' losses; windows in between start from the state the
/// stream had there.
/// </summary>
public class TruncatedBpttTests
{
    private static readonly TextCorpus Corpus = TextCorpus.FromText(TempDirectory.SampleText(12), 0.1, 9);

    private static CharTrainingOptions Options(int window) => new()
    {
        Cell = Carousel.Layers.Recurrent.CellKind.Lstm, Hidden = 10, Layers = 2, SeqLength = 8, BatchSize = 4, Steps = 20, EvalEvery = 10,
        Dropout = 0.2f, Batching = BatchingMode.Stream, Seed = 3, LearningRate = 5e-3f, Threads = 1, TbpttWindow = window,
    };

    [Fact]
    public void WindowEqualToTheStepIsTodaysStreamBatching()
    {
        using var scratch = new TempDirectory();
        var plain = Train(Options(0), scratch.File("plain"));
        var truncated = Train(Options(8), scratch.File("truncated"));
        Assert.Equal(File.ReadAllLines(Path.Combine(scratch.File("plain"), MetricsLog.FileName)).Select(TrainLoss),
                     File.ReadAllLines(Path.Combine(scratch.File("truncated"), MetricsLog.FileName)).Select(TrainLoss));
        foreach (var ((name, a), (_, b)) in plain.NamedParameters().Zip(truncated.NamedParameters())) Assert.True(a.Value.Data.SequenceEqual(b.Value.Data), name);
        // And a longer window trains differently (the test can tell them apart).
        var longer = Train(Options(16), scratch.File("longer"));
        Assert.False(plain.Output.Weight.Value.Data.SequenceEqual(longer.Output.Weight.Value.Data));
    }

    [Theory]
    [InlineData(24)] // reaches back to the stream's start for the first three chunks: full BPTT
    [InlineData(16)] // one chunk of context: starts from the state after the chunk before
    public void EachUpdateIsTheGradientOfTheNewCharactersThroughTheWindow(int window)
    {
        // Without optimizer steps the weights stay, so the reference is one forward from the stream's start over every
        // chunk so far, with only the last chunk's losses counted and the gradient cut where the window begins.
        var options = Options(window) with { Dropout = 0f };
        var training = new CharTraining(Corpus, options);
        var reference = new CharLanguageModel(CharCheckpoint.ModelConfig(options, Corpus.Vocabulary.Count), new Rng(options.Seed));
        var batches = new List<TextBatch>();
        for (int k = 0; k < 3; k++)
        {
            var batch = training.Batches.Next(k);
            batches.Add(batch);
            foreach (var (_, p) in training.Model.NamedParameters()) p.ZeroGrad();
            var loss = training.TrainBatch(batch);

            // The window: the chunks that fit in h, from the state the stream reached before them.
            int chunks = Math.Min(window / options.SeqLength, k + 1), B = options.BatchSize, T = options.SeqLength;
            Carousel.Layers.Recurrent.RecurrentState? start = null;
            if (k + 1 > chunks) start = reference.Run(Concat(batches.Take(k + 1 - chunks), b => b.Inputs), null, (k + 1 - chunks) * T, B).Final;
            var window_ = batches.Skip(k + 1 - chunks).ToList();
            int[] targets = Concat(window_, b => b.Targets);
            Array.Fill(targets, SoftmaxCrossEntropy.Ignore, 0, (chunks - 1) * T * B);
            foreach (var (_, p) in reference.NamedParameters()) p.ZeroGrad();
            var (expected, _) = reference.Run(Concat(window_, b => b.Inputs), targets, chunks * T, B, start, backward: true);

            Assert.Equal(expected, loss.Loss, 12);
            foreach (var ((name, a), (_, b)) in reference.NamedParameters().Zip(training.Model.NamedParameters()))
                for (int i = 0; i < a.Grad.Length; i++)
                    Assert.True(Math.Abs(a.Grad.Data[i] - b.Grad.Data[i]) <= 1e-6f + 1e-4f * Math.Abs(a.Grad.Data[i]), $"chunk {k} {name}[{i}]: {a.Grad.Data[i]} vs {b.Grad.Data[i]}");
        }
    }

    [Fact]
    public void ResumedTruncatedRunHasTheLossesOfAnUninterruptedOne()
    {
        using var scratch = new TempDirectory();
        var options = Options(20);
        Train(options, scratch.File("straight"));
        Train(options with { Steps = 10 }, scratch.File("resumed"));
        Train(options, scratch.File("resumed"), LastCheckpoint.Load(scratch.File("resumed"), CharCheckpoint.Kind));
        Assert.Equal(File.ReadAllLines(Path.Combine(scratch.File("straight"), MetricsLog.FileName)).Select(TrainLoss),
                     File.ReadAllLines(Path.Combine(scratch.File("resumed"), MetricsLog.FileName)).Select(TrainLoss));
    }

    private static CharLanguageModel Train(CharTrainingOptions options, string directory, LastCheckpoint? resume = null)
    {
        var training = new CharTraining(Corpus, options);
        new Trainer<TextBatch>(training, training.Run(directory, resume)).Run();
        return training.Language;
    }

    private static int[] Concat(IEnumerable<TextBatch> batches, Func<TextBatch, int[]> part) => [.. batches.SelectMany(part)];

    private static string TrainLoss(string line) => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("train_loss").GetRawText();
}
