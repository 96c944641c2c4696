using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Tests.Models;

/// <summary>
/// In eval mode the models with an embedding look the first layer's input projection up in a table (when the vocabulary is
/// below the batch's rows): their outputs stay bit for bit those of the training-mode forward (no dropout configured).
/// </summary>
public class TokenTableInferenceTests
{
    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void CharModelLogitsInEvalEqualTrainingMode(CellKind cell)
    {
        const int V = 9, T = 30, B = 5;
        var model = new CharLanguageModel(new CharLanguageModelConfig(V, cell, 12, 2), new Rng(2));
        var rng = new Rng(3);
        int[] ids = [.. Enumerable.Range(0, T * B).Select(_ => rng.NextInt(V))];
        var (trainLoss, _) = model.Run(ids, ids, T, B);
        var expected = model.Logits.ToArray();
        model.Training = false;
        var (evalLoss, _) = model.Run(ids, ids, T, B);
        Assert.Equal(expected, model.Logits.ToArray());
        Assert.Equal(trainLoss, evalLoss);
    }

    [Fact]
    public void ClassifierAndTaggerOutputsInEvalEqualTrainingMode()
    {
        var classifier = new SequenceClassifier(new SequenceClassifierConfig(6, 3, CellKind.Lstm, 8, 2, true, 5), new Rng(4));
        int[][] sequences = [[1, 2, 3, 4, 5, 1, 2], [5, 4], [3, 3, 3, 1]];
        var batch = PaddedBatch.From(sequences, [0, 1, 2], padId: 0);
        var expected = (float[])classifier.Forward(batch).Clone();
        classifier.Training = false;
        Assert.Equal(expected, classifier.Forward(batch));

        var tagger = new SequenceTagger(new RecurrentOptions(CellKind.Gru, 5, 8, Layers: 2, Bidirectional: true), 4, new Rng(5), 7);
        int[] ids = [.. Enumerable.Range(0, 6 * 3).Select(i => i * 5 % 7)];
        int[] lengths = [6, 2, 4];
        var expectedTags = tagger.Forward(ids, 6, 3, lengths).Data.ToArray();
        tagger.Training = false;
        Assert.Equal(expectedTags, tagger.Forward(ids, 6, 3, lengths).Data);
    }
}
