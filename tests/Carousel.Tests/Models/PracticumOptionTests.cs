using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Tests.Models;

/// <summary>
/// One-hot input (a column lookup of weight_ih_l0 instead of an embedding), dropout before the output layer, and the
/// recurrent weight initialisations.
/// </summary>
public class PracticumOptionTests
{
    private const int V = 7;

    private static int[] Ids(int count, ulong seed)
    {
        var rng = new Rng(seed);
        return [.. Enumerable.Range(0, count).Select(_ => rng.NextInt(V))];
    }

    [Theory]
    [InlineData(CellKind.Lstm, 2)]
    [InlineData(CellKind.Gru, 1)]
    [InlineData(CellKind.RnnTanh, 2)]
    public void OneHotIdsGiveWhatTheDenseOneHotMatrixGives(CellKind cell, int layers)
    {
        // The stack read through ids equals the same stack multiplying the one-hot matrix [T, B, V]: outputs, final
        // state, every weight gradient (dW_ih's columns above all) and the initial state's gradient.
        const int T = 5, B = 3, H = 6;
        var options = new RecurrentOptions(cell, V, H, layers);
        var lookup = new RecurrentStack(options, new Rng(4));
        var dense = new RecurrentStack(options, new Rng(4));
        int[] ids = Ids(T * B, 8);
        var x = new Tensor(T, B, V);
        for (int row = 0; row < T * B; row++) x.Data[row * V + ids[row]] = 1f;
        var rng = new Rng(9);
        var dy = RandomTensor(rng, T, B, H);

        var (yLookup, finalLookup) = lookup.ForwardOneHot(ids, T, B);
        var (yDense, finalDense) = dense.Forward(x);
        Assert.Equal(yDense.Data, yLookup.Data);
        Assert.Equal(finalDense.H.Data, finalLookup.H.Data);
        var gLookup = lookup.Backward(dy);
        var gDense = dense.Backward(dy);
        Assert.Equal(0, gLookup.Input.Length); // ids have no gradient
        Assert.Equal(gDense.Initial.H.Data, gLookup.Initial.H.Data);
        var pairs = lookup.Parameters().Zip(dense.Parameters());
        foreach (var (a, b) in pairs) AssertClose(b.Grad.Data, a.Grad.Data, a.Name);
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.RnnTanh)]
    public void OneHotModelEqualsAnEmbeddingWhoseRowsAreWeightIhColumns(CellKind cell)
    {
        // A one-hot model against an embedding model whose first layer sees, for character v, exactly column v of the
        // one-hot model's W_ih: embedding = identity [V, V] and the same W_ih. Loss, logits and the gradients of every
        // shared weight agree; the one-hot model has no embedding parameters.
        const int T = 4, B = 2, H = 8;
        var oneHot = new CharLanguageModel(new CharLanguageModelConfig(V, cell, H, 2, Input: InputEncoding.OneHot), new Rng(1));
        var embedded = new CharLanguageModel(new CharLanguageModelConfig(V, cell, H, 2, EmbeddingSize: V), new Rng(2));
        Assert.DoesNotContain(oneHot.NamedParameters(), p => p.Name.StartsWith("embedding", StringComparison.Ordinal));
        Assert.Equal(V, oneHot.Rnn.Options.InputSize);
        var byName = oneHot.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, p) in embedded.NamedParameters())
        {
            if (name == "embedding.weight")
            {
                Array.Clear(p.Value.Data);
                for (int v = 0; v < V; v++) p.Value.Data[v * V + v] = 1f;
            }
            else byName[name].Value.Data.CopyTo(p.Value.Data, 0);
        }
        int[] inputs = Ids(T * B, 3), targets = Ids(T * B, 4);
        var (lossOneHot, _) = oneHot.Run(inputs, targets, T, B, backward: true);
        var (lossEmbedded, _) = embedded.Run(inputs, targets, T, B, backward: true);
        Assert.Equal(lossEmbedded, lossOneHot, 6);
        foreach (var (name, p) in embedded.NamedParameters().Where(p => p.Name != "embedding.weight"))
            AssertClose(p.Grad.Data, byName[name].Grad.Data, name);
        // The embedding's gradient, pushed through the identity, is dW_ih's columns' share from the input: W_ihᵀ·dPre.
        Assert.Contains(embedded.Embedding!.Weight.Grad.Data, g => g != 0f);
    }

    [Theory]
    [InlineData(CellKind.Lstm, 2, 1)]
    [InlineData(CellKind.Gru, 1, 2)]
    [InlineData(CellKind.RnnTanh, 1, 1)]
    public void OneHotSamplingStepsGiveTheGeneralPathsBits(CellKind cell, int layers, int threads)
    {
        var model = new CharLanguageModel(new CharLanguageModelConfig(V, cell, 32, layers, Input: InputEncoding.OneHot), new Rng(3)) { Training = false };
        using var stepper = new CharModelStepper(model, threads, minimumHiddenForTwoThreads: 32);
        Assert.True(stepper.IsFast);
        RecurrentState? state = null;
        var token = new int[1];
        foreach (int t in Ids(9, 5))
        {
            token[0] = t;
            (_, state) = model.Run(token, null, 1, 1, state);
            Assert.Equal(model.Logits.ToArray(), stepper.Step(t).ToArray());
        }
    }

    [Fact]
    public void OutputDropoutActsWhileTrainingOnlyAndAlsoWithOneLayer()
    {
        const int T = 6, B = 4;
        var config = new CharLanguageModelConfig(V, CellKind.Lstm, 16, Layers: 1);
        var plain = new CharLanguageModel(config, new Rng(1));
        var dropped = new CharLanguageModel(config with { OutputDropout = 0.5f }, new Rng(1));
        int[] inputs = Ids(T * B, 2), targets = Ids(T * B, 3);

        // Evaluation: no dropout, and no mask drawn (the dropout stream stays where it was).
        plain.Training = dropped.Training = false;
        var before = dropped.Rnn.DropoutRng.State;
        var (evalPlain, _) = plain.Run(inputs, targets, T, B);
        var (evalDropped, _) = dropped.Run(inputs, targets, T, B);
        Assert.Equal(evalPlain, evalDropped);
        Assert.Equal(plain.Logits.ToArray(), dropped.Logits.ToArray());
        Assert.Equal(before, dropped.Rnn.DropoutRng.State);

        // Training: the output layer sees a dropped (and rescaled) h, so loss and gradients differ from the plain model's.
        plain.Training = dropped.Training = true;
        var (trainPlain, _) = plain.Run(inputs, targets, T, B, backward: true);
        var (trainDropped, _) = dropped.Run(inputs, targets, T, B, backward: true);
        Assert.NotEqual(trainPlain, trainDropped);
        // With the output layer's input zeroed where dropped, a dropped unit contributes nothing to dW_out's column sums:
        // the gradient of the output weights differs, and that of the recurrent weights flows only through kept units.
        Assert.NotEqual(plain.Output.Weight.Grad.Data, dropped.Output.Weight.Grad.Data);
    }

    [Fact]
    public void OutputDropoutGradientMatchesFiniteDifferencesForItsMask()
    {
        // With the mask fixed (the dropout stream reset before each run), the loss is a smooth function of the weights:
        // central differences of the output bias and one recurrent weight agree with backward.
        const int T = 3, B = 2;
        var model = new CharLanguageModel(new CharLanguageModelConfig(V, CellKind.RnnTanh, 5, 1, Input: InputEncoding.OneHot, OutputDropout: 0.4f), new Rng(6));
        int[] inputs = Ids(T * B, 7), targets = Ids(T * B, 8);
        var start = model.Rnn.DropoutRng.State;
        double Loss()
        {
            foreach (var (_, q) in model.NamedParameters()) q.MarkChanged(); // written in place: repack
            model.Rnn.DropoutRng.State = start;
            return model.Run(inputs, targets, T, B).Loss;
        }
        foreach (var (_, p) in model.NamedParameters()) Array.Clear(p.Grad.Data);
        model.Rnn.DropoutRng.State = start;
        model.Run(inputs, targets, T, B, backward: true);
        foreach (var (name, p) in model.NamedParameters())
            for (int i = 0; i < Math.Min(3, p.Value.Length); i++)
            {
                float keep = p.Value.Data[i];
                const float e = 1e-2f;
                p.Value.Data[i] = keep + e; double up = Loss();
                p.Value.Data[i] = keep - e; double down = Loss();
                p.Value.Data[i] = keep;
                double numeric = (up - down) / (2 * e);
                Assert.True(Math.Abs(numeric - p.Grad.Data[i]) <= 2e-3 + 2e-2 * Math.Abs(numeric), $"{name}[{i}]: numeric {numeric}, backward {p.Grad.Data[i]}");
            }
    }

    [Fact]
    public void XavierAndOrthogonalInitialisation()
    {
        const int H = 16, In = 5;
        var xavier = new RecurrentStack(new RecurrentOptions(CellKind.Lstm, In, H, Init: RecurrentInit.Xavier), new Rng(1));
        var p = xavier.Parameters().ToDictionary(q => q.Name);
        float ihBound = MathF.Sqrt(6f / (In + 4 * H)), hhBound = MathF.Sqrt(6f / (H + 4 * H));
        Assert.All(p["weight_ih_l0"].Value.Data, w => Assert.InRange(MathF.Abs(w), 0f, ihBound));
        Assert.Contains(p["weight_ih_l0"].Value.Data, w => MathF.Abs(w) > 0.8f * ihBound); // not a narrower range
        Assert.All(p["weight_hh_l0"].Value.Data, w => Assert.InRange(MathF.Abs(w), 0f, hhBound));
        Assert.All(p["bias_ih_l0"].Value.Data, b => Assert.Equal(0f, b));
        Assert.All(p["bias_hh_l0"].Value.Data, b => Assert.Equal(0f, b));

        var orthogonal = new RecurrentStack(new RecurrentOptions(CellKind.Gru, In, H, Init: RecurrentInit.Orthogonal), new Rng(2));
        var hh = orthogonal.Parameters().Single(q => q.Name == "weight_hh_l0").Value.Data;
        for (int gate = 0; gate < 3; gate++)
            for (int i = 0; i < H; i++)
                for (int j = 0; j < H; j++)
                {
                    double dot = 0;
                    for (int c = 0; c < H; c++) dot += hh[(gate * H + i) * H + c] * hh[(gate * H + j) * H + c];
                    Assert.Equal(i == j ? 1.0 : 0.0, dot, 5);
                }

        // PyTorch's init stays what it was: the same seed draws the same weights as a stack built without the option.
        var pytorch = new RecurrentStack(new RecurrentOptions(CellKind.Lstm, In, H), new Rng(1));
        var explicitPytorch = new RecurrentStack(new RecurrentOptions(CellKind.Lstm, In, H, Init: RecurrentInit.PyTorch), new Rng(1));
        Assert.Equal(pytorch.Parameters()[1].Value.Data, explicitPytorch.Parameters()[1].Value.Data);
        float bound = 1f / MathF.Sqrt(H);
        Assert.Contains(pytorch.Parameters()[2].Value.Data, b => b != 0f);
        Assert.All(pytorch.Parameters()[1].Value.Data, w => Assert.InRange(MathF.Abs(w), 0f, bound));
    }

    [Fact]
    public void ClassifierAndTaggerReadOneHotSymbolsAndDropBeforeTheirOutputOnlyWhileTraining()
    {
        // The classifier: one-hot input equals an identity embedding before the same weights (padded batch, bidirectional).
        var oneHot = new SequenceClassifier(new SequenceClassifierConfig(V, 3, HiddenSize: 6, Input: InputEncoding.OneHot), new Rng(1));
        var embedded = new SequenceClassifier(new SequenceClassifierConfig(V, 3, HiddenSize: 6, EmbeddingSize: V), new Rng(2));
        Assert.Null(oneHot.Embedding);
        var byName = oneHot.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        foreach (var (name, p) in embedded.NamedParameters())
        {
            if (name != "embedding.weight") { byName[name].Value.Data.CopyTo(p.Value.Data, 0); continue; }
            Array.Clear(p.Value.Data);
            for (int v = 0; v < V; v++) p.Value.Data[v * V + v] = 1f;
        }
        var batch = Carousel.Data.PaddedBatch.From([Ids(5, 1), Ids(3, 2), Ids(4, 3)], [0, 1, 2], padId: 0);
        int[] labels = [0, 2, 1];
        var (lossOneHot, logitsOneHot) = oneHot.Run(batch, labels);
        float[] fromOneHot = (float[])logitsOneHot.Clone();
        var (lossEmbedded, logitsEmbedded) = embedded.Run(batch, labels);
        Assert.Equal(lossEmbedded, lossOneHot, 6);
        AssertClose(logitsEmbedded, fromOneHot, "logits");

        // The tagger with one-hot ids and output dropout: dropout changes the logits while training, never at evaluation.
        var options = new RecurrentOptions(CellKind.Gru, V, 5);
        var plain = new SequenceTagger(options, 4, new Rng(3), V, InputEncoding.OneHot);
        var dropped = new SequenceTagger(options, 4, new Rng(3), V, InputEncoding.OneHot, outputDropout: 0.5f);
        Assert.Null(dropped.Embedding);
        int[] ids = Ids(6 * 2, 4);
        plain.Training = dropped.Training = false;
        Assert.Equal(plain.Forward(ids, 6, 2).Data.ToArray(), dropped.Forward(ids, 6, 2).Data.ToArray());
        plain.Training = dropped.Training = true;
        Assert.NotEqual(plain.Forward(ids, 6, 2).Data.ToArray(), dropped.Forward(ids, 6, 2).Data.ToArray());
    }

    private static Tensor RandomTensor(Rng rng, params int[] shape)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)rng.NextGaussian();
        return t;
    }

    private static void AssertClose(float[] expected, float[] actual, string name)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= 1e-5f + 1e-4f * MathF.Abs(expected[i]), $"{name}[{i}]: {expected[i]} vs {actual[i]}");
    }
}
