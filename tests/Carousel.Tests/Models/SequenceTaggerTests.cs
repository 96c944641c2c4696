using Carousel.IO;
using Carousel.Data;
using Carousel.Data.Tagging;
using Carousel.Diagnostics;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;
using Carousel.Training.Tagging;

namespace Carousel.Tests.Models;

public class SequenceTaggerTests
{
    private const int Vocabulary = 5, Labels = 3;

    private static SequenceTagger Tiny(CellKind cell, bool bidirectional, ulong seed = 3) =>
        new(new RecurrentOptions(cell, InputSize: 4, HiddenSize: 5, Layers: 2, bidirectional), Labels, new Rng(seed), Vocabulary);

    // Two sequences of lengths 6 and 3 in one padded batch [T=6, B=2]; padding holds id 4 and target Ignore.
    private static readonly int[][] Ids = [[0, 1, 2, 3, 1, 0], [3, 3, 1]];
    private static readonly int[][] Targets = [[0, 2, 1, 1, 0, 2], [2, 0, 1]];

    private static (int[] Ids, int[] Targets, int[] Lengths, int Steps) Batch(params int[] rows)
    {
        var ids = PaddedBatch.From(Ids, rows, padId: Vocabulary - 1);
        var targets = PaddedBatch.From(Targets, rows, SoftmaxCrossEntropy.Ignore);
        return (ids.Ids, targets.Ids, ids.Lengths, ids.Steps);
    }

    // Mean loss of the batch; with backward the parameters' gradients (zeroed first).
    private static (double Loss, int Count) Run(SequenceTagger model, (int[] Ids, int[] Targets, int[] Lengths, int Steps) batch, bool backward)
    {
        foreach (var (_, p) in model.NamedParameters()) p.MarkChanged(); // the gradient check writes the values directly
        var logits = model.Forward(batch.Ids, batch.Steps, batch.Lengths.Length, batch.Lengths);
        var dLogits = backward ? new float[logits.Length] : [];
        var result = SoftmaxCrossEntropy.Compute(logits.Data, batch.Targets, Labels, dLogits);
        if (backward)
        {
            model.NamedParameters().Select(p => p.Parameter).ZeroGrad();
            model.Backward(dLogits);
        }
        return result;
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void GradientsWithEmbeddingInputMatchCentralDifferences(CellKind cell)
    {
        var model = Tiny(cell, bidirectional: true);
        var batch = Batch(0, 1);
        Run(model, batch, backward: true);
        foreach (var (name, p) in model.NamedParameters())
        {
            var analytic = (float[])p.Grad.Data.Clone();
            var (worst, index, numeric, ana) = GradientCheck.Compare(() => Run(model, batch, backward: false).Loss, p.Value.Data, analytic, 4e-3f, 2e-3, 2e-2);
            Assert.True(worst <= 1.0, $"{name}[{index}]: numeric {numeric:G6}, analytic {ana:G6} (ratio {worst:G3})");
        }
        Assert.Contains(model.NamedParameters(), p => p.Name == "embedding.weight");
        Assert.Contains(model.NamedParameters(), p => p.Name == "rnn.weight_hh_l1_reverse");
    }

    [Fact]
    public void PaddingChangesNeitherTheLossNorTheGradients()
    {
        var model = Tiny(CellKind.Lstm, bidirectional: true);
        var (batchLoss, batchCount) = Run(model, Batch(0, 1), backward: true);
        var together = model.NamedParameters().Select(p => (float[])p.Parameter.Grad.Data.Clone()).ToArray();

        // Sum of the per-sequence losses and gradients, each weighted by its character count.
        double lossSum = 0;
        var sum = together.Select(g => new double[g.Length]).ToArray();
        foreach (int row in new[] { 0, 1 })
        {
            var (loss, count) = Run(model, Batch(row), backward: true);
            lossSum += loss * count;
            var grads = model.NamedParameters().Select(p => p.Parameter.Grad.Data).ToArray();
            for (int k = 0; k < sum.Length; k++)
                for (int i = 0; i < sum[k].Length; i++) sum[k][i] += grads[k][i] * count;
        }
        Assert.Equal(9, batchCount);
        Numerics.Close(lossSum, batchLoss * batchCount, 1e-5, 1e-6, "loss");
        var names = model.NamedParameters().Select(p => p.Name).ToArray();
        for (int k = 0; k < sum.Length; k++)
            for (int i = 0; i < sum[k].Length; i++)
                Numerics.Close(sum[k][i], together[k][i] * batchCount, 1e-4, 1e-6, $"{names[k]}[{i}]");
        // The pad id's embedding row is never read for real characters: its gradient stays zero.
        var embeddingGrad = model.Embedding!.Weight.Grad.Data.AsSpan((Vocabulary - 1) * 4, 4).ToArray();
        Assert.All(embeddingGrad, g => Assert.Equal(0f, g));
    }

    // Label of each character: whether the next character is 'a' (needs to see ahead: bidirectional).
    private static List<TaggedExample> NextIsA(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var examples = new List<TaggedExample>();
        for (int n = 0; n < count; n++)
        {
            var text = new char[3 + rng.NextInt(10)];
            for (int i = 0; i < text.Length; i++) text[i] = "abcd"[rng.NextInt(4)];
            var labels = new string[text.Length];
            for (int i = 0; i < text.Length; i++) labels[i] = i + 1 < text.Length && text[i + 1] == 'a' ? "Y" : "n";
            examples.Add(new TaggedExample(new string(text), labels, $"synthetic {n}"));
        }
        return examples;
    }

    private static (double Accuracy, TaggerTraining Training) TrainNextIsA(bool bidirectional, string dir)
    {
        var train = NextIsA(240, 1);
        var test = NextIsA(100, 2);
        var vocabulary = TaggingVocabulary.FromExamples(train);
        var options = new TaggerTrainingOptions
        {
            Cell = CellKind.Gru, Hidden = 16, Layers = 1, Embedding = 8, Bidirectional = bidirectional, BatchSize = 16,
            LearningRate = 2e-2f, Epochs = 6, Seed = 5, Threads = 1,
        };
        var training = new TaggerTraining(vocabulary, train, [], options, new TaggingTask(TaggingTask.JsonLines));
        new Trainer<int[]>(training, training.Run(dir)).Run();
        var metrics = new ClassificationMetrics(vocabulary.Labels);
        TaggerInference.Predict(training.Tagger, new TaggedSequences(test, vocabulary, withLabels: true), 32, metrics);
        return (metrics.Accuracy, training);
    }

    [Fact]
    public void LearnsATaskThatNeedsTheNextCharacterOnlyWhenBidirectional()
    {
        using var dir = new TempDirectory();
        var (bidirectional, _) = TrainNextIsA(bidirectional: true, dir.File("bi"));
        var (forwardOnly, _) = TrainNextIsA(bidirectional: false, dir.File("uni"));
        Assert.True(bidirectional > 0.99, $"bidirectional accuracy {bidirectional:P2}");
        Assert.True(forwardOnly < 0.85, $"a forward-only tagger cannot see the next character, yet got {forwardOnly:P2}");
    }

    [Fact]
    public void CheckpointRoundTripsAndRejectsAnotherKind()
    {
        using var dir = new TempDirectory();
        var examples = NextIsA(40, 3);
        var vocabulary = TaggingVocabulary.FromExamples(examples);
        var options = new TaggerTrainingOptions { Hidden = 6, Layers = 1, Embedding = 4, Bidirectional = true, Steps = 3, Threads = 1 };
        var task = new TaggingTask(TaggingTask.JsonLines, "sentence", "labels", TagsFormat.String);
        var training = new TaggerTraining(vocabulary, examples, examples[..10], options, task);
        new Trainer<int[]>(training, training.Run(dir.Path)).Run();
        Assert.Equal(["checkpoint.safetensors", "curves.svg", "last.safetensors", "metrics.jsonl", "model.safetensors"], dir.FileNames());

        var loaded = TaggerCheckpoint.Load(dir.Path);
        Assert.Equal(task, loaded.Task);
        Assert.Equal(options, loaded.Options);
        Assert.Equal(vocabulary.Labels, loaded.Vocabulary.Labels);
        Assert.Equal(vocabulary.Characters.ToString(), loaded.Vocabulary.Characters.ToString());
        var sequences = new TaggedSequences(examples, vocabulary, withLabels: false);
        var before = TaggerInference.Predict(training.Tagger, sequences, 8);
        var after = TaggerInference.Predict(loaded.Model, sequences, 8);
        Assert.Equal(before, after);
        foreach (var ((name, p), (_, q)) in training.Tagger.NamedParameters().Zip(loaded.Model.NamedParameters()))
            Assert.True(p.Value.Data.AsSpan().SequenceEqual(q.Value.Data), name);
        var fresh = TaggerCheckpoint.CreateModel(options, vocabulary, new Rng(99)); // PyTorch names, shapes: as saved
        Carousel.IO.StateDict.Load(Path.Combine(dir.Path, "model.safetensors"), fresh.NamedParameters());
        Assert.Equal(before, TaggerInference.Predict(fresh, sequences, 8));

        string other = dir.File("other.safetensors");
        ModelCheckpoint.Save(other, "sequence-classifier/1", training.Tagger.NamedParameters(), null, new Dictionary<string, string>(), 0);
        var e = Assert.Throws<InvalidDataException>(() => TaggerCheckpoint.Load(other));
        Assert.Contains("sequence-classifier/1", e.Message);
    }
}
