using Carousel.Data;
using Carousel.Diagnostics;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Classification;

namespace Carousel.Tests.Models;

public class SequenceClassifierTests
{
    private const float Epsilon = 4e-3f;
    private const double AbsoluteTolerance = 3e-3, RelativeTolerance = 2e-2;

    public static TheoryData<CellKind, SequencePooling, bool> GradientCases() => new()
    {
        { CellKind.Lstm, SequencePooling.Last, true },
        { CellKind.Lstm, SequencePooling.Mean, true },
        { CellKind.Lstm, SequencePooling.Max, true },
        { CellKind.Gru, SequencePooling.Last, false },
        { CellKind.Gru, SequencePooling.Max, false },
    };

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void BackwardMatchesCentralDifferences(CellKind cell, SequencePooling pooling, bool bidirectional)
    {
        var model = new SequenceClassifier(new SequenceClassifierConfig(VocabularySize: 5, Classes: 3, cell, HiddenSize: 4,
            Layers: 2, bidirectional, EmbeddingSize: 3, Pooling: pooling), new Rng(5));
        int[][] sequences = [[1, 2, 3, 4, 1], [2, 2], [4, 3, 1]];
        var batch = PaddedBatch.From(sequences, [0, 1, 2], padId: 0);
        int[] labels = [2, 0, 1];
        foreach (var (_, p) in model.NamedParameters()) p.ZeroGrad();
        model.Run(batch, labels, backward: true);
        double Loss()
        {
            foreach (var (_, p) in model.NamedParameters()) p.MarkChanged(); // the check writes the values directly
            return model.Run(batch, labels).Loss;
        }

        foreach (var (name, p) in model.NamedParameters())
        {
            var (worst, index, numeric, analytic) = GradientCheck.Compare(Loss, p.Value.Data, p.Grad.Data, Epsilon, AbsoluteTolerance, RelativeTolerance);
            Assert.True(worst <= 1.0, $"{pooling} {name}[{index}]: numeric {numeric:G6}, analytic {analytic:G6} (ratio {worst:G3})");
        }
    }

    [Theory]
    [InlineData(SequencePooling.Last)]
    [InlineData(SequencePooling.Mean)]
    [InlineData(SequencePooling.Max)]
    public void PaddedBatchGivesWhatEachSequenceGivesAlone(SequencePooling pooling)
    {
        var model = new SequenceClassifier(new SequenceClassifierConfig(6, 2, CellKind.Gru, 5, 1, true, 4, Pooling: pooling), new Rng(3));
        int[][] sequences = [[1, 2, 3, 4, 5, 1], [5, 4], [3, 3, 3]];
        var together = (float[])model.Forward(PaddedBatch.From(sequences, [0, 1, 2], 0)).Clone();
        for (int n = 0; n < 3; n++)
        {
            var alone = model.Forward(PaddedBatch.From(sequences, [n], 0));
            for (int k = 0; k < 2; k++) Numerics.Close(alone[k], together[n * 2 + k], 1e-5, 1e-5, $"sequence {n} class {k}");
        }
    }

    /// <summary>"Does the text contain an x?" — the answer may sit anywhere, so the model must carry it across steps.</summary>
    [Fact]
    public void LearnsWhetherATextContainsAnX()
    {
        var rng = new Rng(11);
        List<LabelledText> Make(int count)
        {
            var list = new List<LabelledText>();
            for (int i = 0; i < count; i++)
            {
                var chars = new char[3 + rng.NextInt(10)];
                for (int j = 0; j < chars.Length; j++) chars[j] = "abcd"[rng.NextInt(4)];
                bool hasX = i % 2 == 0;
                if (hasX) chars[rng.NextInt(chars.Length)] = 'x';
                list.Add(new LabelledText(new string(chars), hasX ? "yes" : "no"));
            }
            return list;
        }
        using var dir = new TempDirectory();
        var options = new ClassifierTrainingOptions { Cell = CellKind.Gru, Hidden = 16, Embedding = 8, Epochs = 6, BatchSize = 16, LearningRate = 1e-2f, Seed = 1 };
        var training = new ClassifierTraining(options, Make(400), Make(100));
        var summary = new Trainer<int[]>(training, training.Run(dir.Path)).Run();
        double accuracy = summary.Best!.Metrics["dev_accuracy"]!.GetValue<double>();
        Assert.True(accuracy >= 0.95, $"dev accuracy {accuracy:P1}");

        // The directory holds the best epoch's model, which reads new text, unknown characters included.
        var loaded = ClassifierCheckpoint.Load(dir.Path);
        Assert.Equal(summary.Best.Epoch, (double)loaded.Epoch);
        var p = loaded.Predict(["abcxdd", "abcddd", "ab?cd"]);
        Assert.True(p[1] > 0.5f, $"P(yes | abcxdd) = {p[1]}");   // labels in ordinal order: no, yes
        Assert.True(p[2] > 0.5f, $"P(no | abcddd) = {p[2]}");
        Assert.Equal(3 * 2, p.Length);
    }
}
