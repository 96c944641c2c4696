using Carousel.Data;
using Carousel.Diagnostics;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Generation;

namespace Carousel.Tests.Models;

public class ConditionedGeneratorTests
{
    [Theory]
    [InlineData(CellKind.Lstm, 2)]
    [InlineData(CellKind.Gru, 1)]
    public void GradientReachesTheConditionLayerThroughTheInitialState(CellKind cell, int layers)
    {
        var model = new ConditionedGenerator(new ConditionedGeneratorConfig(VocabularySize: 5, ConditionSize: 3, cell, HiddenSize: 4,
            layers, EmbeddingSize: 3), new Rng(9));
        // Two sequences, the second padded after 2 steps: [T = 3, B = 2] time-major.
        int[] inputs = [0, 0, 1, 2, 3, 4];
        int[] targets = [1, 2, 3, 4, 4, SoftmaxCrossEntropy.Ignore];
        float[] conditions = [1, 0, 0.5f, 0, 1, -0.5f];
        foreach (var (_, p) in model.NamedParameters()) p.ZeroGrad();
        model.Run(inputs, targets, 3, 2, conditions, backward: true);
        double Loss()
        {
            foreach (var (_, p) in model.NamedParameters()) p.MarkChanged();
            return model.Run(inputs, targets, 3, 2, conditions);
        }
        Assert.Contains(model.NamedParameters(), p => p.Name == "condition.weight");
        foreach (var (name, p) in model.NamedParameters())
        {
            var (worst, index, numeric, analytic) = GradientCheck.Compare(Loss, p.Value.Data, p.Grad.Data, 4e-3f, 3e-3, 2e-2);
            Assert.True(worst <= 1.0, $"{name}[{index}]: numeric {numeric:G6}, analytic {analytic:G6} (ratio {worst:G3})");
        }
        Assert.True(model.Condition.Weight.Grad.Data.Any(g => Math.Abs(g) > 1e-4), "the condition layer got no gradient");
    }

    /// <summary>Condition A gives "aaa", condition B gives "bbb": only the initial state tells them apart.</summary>
    [Fact]
    public void GeneratesWhatTheConditionAsksFor()
    {
        var train = new List<ConditionedText>();
        for (int i = 0; i < 40; i++)
        {
            train.Add(new ConditionedText([1, 0], "aaa"));
            train.Add(new ConditionedText([0, 1], "bbb"));
        }
        using var dir = new TempDirectory();
        var options = new GeneratorTrainingOptions { Cell = CellKind.Gru, Hidden = 16, Embedding = 8, Epochs = 15, BatchSize = 8, LearningRate = 1e-2f, Seed = 3 };
        var training = new GeneratorTraining(options, train, train.Take(10).ToList(), ["A", "B"]);
        new Trainer<int[]>(training, training.Run(dir.Path)).Run();

        var loaded = GeneratorCheckpoint.Load(dir.Path);
        var rng = new Rng(1);
        var sampling = new SamplingOptions(Temperature: 0.7f);
        for (int i = 0; i < 10; i++)
        {
            Assert.Equal("aaa", loaded.Model.Generate(loaded.Vocabulary, loaded.OneHot("A"), sampling, rng));
            Assert.Equal("bbb", loaded.Model.Generate(loaded.Vocabulary, loaded.OneHot("B"), sampling, rng));
        }
    }
}
