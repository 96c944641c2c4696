using Carousel.Diagnostics;
using Carousel.IO;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Tensors;
using Carousel.Tests.Cli;

namespace Carousel.Tests.Layers;

public class LayerAndLossTests
{
    private const float Epsilon = 3e-3f;

    [Fact]
    public void LinearAndEmbeddingGradientsMatchCentralDifferences()
    {
        var rng = new Rng(4);
        var embedding = new Embedding(7, 5, rng);
        var linear = new Linear(5, 3, rng);
        int[] ids = [1, 4, 4, 6, 0];
        var probe = RecurrentProbe.Random(rng, ids.Length, 3);
        double Loss()
        {
            var e = new float[ids.Length * 5];
            embedding.Forward(ids, e);
            var y = new float[ids.Length * 3];
            linear.Forward(e, ids.Length, y);
            double s = 0;
            for (int i = 0; i < y.Length; i++) s += y[i] * probe.Data[i];
            return s;
        }
        Loss();
        var dEmbedded = new float[ids.Length * 5];
        linear.Backward(probe.Data, dEmbedded);
        embedding.Backward(dEmbedded);
        foreach (var p in linear.Parameters().Concat(embedding.Parameters()))
        {
            var (worst, index, numeric, analytic) = GradientCheck.Compare(Loss, p.Value.Data, p.Grad.Data, Epsilon, 1e-3, 1e-2);
            Assert.True(worst <= 1, $"{p.Name}[{index}]: numeric {numeric}, analytic {analytic}");
        }
    }

    [Fact]
    public void SoftmaxCrossEntropyIsStableIgnoresPaddingAndHasTheRightGradient()
    {
        float[] logits = [1000f, 0f, -1000f, 0.5f, 0.25f, 2f, 9f, 9f, 9f];
        int[] targets = [0, SoftmaxCrossEntropy.Ignore, 2];
        var grad = new float[logits.Length];
        var (loss, count) = SoftmaxCrossEntropy.Compute(logits, targets, 3, grad);
        Assert.Equal(2, count);
        Numerics.Close((0 + Math.Log(3)) / 2, loss, 1e-6, 1e-7, "loss"); // row 0 is certain, row 2 uniform
        Assert.All(grad[3..6], g => Assert.Equal(0f, g));
        var probe = (float[])logits.Clone();
        for (int i = 0; i < logits.Length; i++)
        {
            if (i < 3) continue; // row 0 saturates: its gradient is 0 to float precision
            double numeric = GradientCheck.Central(() => SoftmaxCrossEntropy.Compute(probe, targets, 3, default).MeanLoss, probe, i, 1e-2f);
            Numerics.Close(numeric, grad[i], 1e-3, 1e-4, $"dlogits[{i}]");
        }
    }

    [Fact]
    public void SquaredErrorHalfSumAndMeanWithMask()
    {
        float[] p = [1f, 2f, 3f, 4f];
        float[] t = [0f, 2f, 5f, -4f];
        bool[] mask = [true, true, true, false];
        var g = new float[4];
        Numerics.Close(0.5 * (1 + 0 + 4), SquaredError.HalfSum(p, t, g, mask), 1e-12, 0, "half sum");
        Assert.Equal([1f, 0f, -2f, 0f], g);
        Numerics.Close((1 + 0 + 4) / 3.0, SquaredError.Mean(p, t, g, mask), 1e-7, 0, "mean");
        Numerics.Close(2 * 1 / 3.0, g[0], 1e-6, 0, "mean gradient");
        Numerics.Close(0.5 * (1 + 0 + 4 + 64), SquaredError.HalfSum(p, t, default), 1e-12, 0, "unmasked");
    }

    [Fact]
    public void BatchFirstConversionRoundTripsAndGivesTheSameOutputs()
    {
        var rng = new Rng(8);
        var batchFirst = RecurrentProbe.Random(rng, 3, 5, 2); // [B, T, F]
        var timeMajor = SequenceLayout.BatchFirstToTimeMajor(batchFirst);
        Assert.Equal([5, 3, 2], timeMajor.Shape);
        Assert.Equal(batchFirst[1, 4, 1], timeMajor[4, 1, 1]);
        Assert.Equal(batchFirst.Data, SequenceLayout.TimeMajorToBatchFirst(timeMajor).Data);
    }

    [Fact]
    public void StackWeightsSaveAndLoadByPyTorchNames()
    {
        using var scratch = new TempDirectory();
        var options = new RecurrentOptions(CellKind.Gru, 3, 5, Layers: 2, Bidirectional: true);
        var a = new RecurrentStack(options, new Rng(1));
        var b = new RecurrentStack(options, new Rng(2));
        string path = scratch.File("gru.safetensors");
        StateDict.Save(path, a.Parameters().Select(p => (p.Name, p)));
        var names = SafeTensors.Read(path).Names.ToList();
        Assert.Contains("weight_hh_l1_reverse", names);
        StateDict.Load(path, b.Parameters().Select(p => (p.Name, p)));
        var x = RecurrentProbe.Random(new Rng(3), 4, 2, 3);
        Assert.Equal(a.Forward(x).Output.Clone().Data, b.Forward(x).Output.Data);
    }
}
