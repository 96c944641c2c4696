using Carousel.Diagnostics;
using Carousel.IO;
using Carousel.Layers;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Tests.Models;

public class NarxNetworkTests
{
    private const int F = 2, H = 3, K = 2;

    // Two sequences of lengths 6 and 4 in one padded batch [T = 6, B = 2, F]; the padding holds noise, which must not matter.
    private static (Tensor X, int[] Lengths) Batch()
    {
        var rng = new Rng(11);
        var x = new Tensor(6, 2, F);
        rng.FillUniform(x.Data, -1f, 1f);
        return (x, [6, 4]);
    }

    // Rows [b] of x [T, B, F], its first `length` steps, as a batch of one.
    private static Tensor Row(Tensor x, int b, int length)
    {
        int B = x.Dim(1);
        var one = new Tensor(length, 1, F);
        for (int t = 0; t < length; t++) x.Data.AsSpan((t * B + b) * F, F).CopyTo(one.Data.AsSpan(t * F, F));
        return one;
    }

    // L = Σ over the real steps of c · o + ½ o², c fixed: every output counts, in every direction.
    private static double Loss(ReadOnlySpan<float> o, int T, int B, int[] lengths, Span<float> dO)
    {
        double loss = 0;
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                for (int j = 0; j < K; j++)
                {
                    int i = (t * B + b) * K + j;
                    if (t >= lengths[b]) { if (!dO.IsEmpty) dO[i] = 0; continue; }
                    float c = 0.2f * ((t + 3 * j) % 5) - 0.2f; // the same for every row: a row alone gets the terms it gets in the batch
                    loss += c * o[i] + 0.5 * o[i] * o[i];
                    if (!dO.IsEmpty) dO[i] = c + o[i];
                }
        return loss;
    }

    // A teacher [T, B, K] in the range of the activation, known at every other (t, b).
    private static (Tensor Teacher, bool[] Known) Teacher(int T, int B)
    {
        var teacher = new Tensor(T, B, K);
        new Rng(5).FillUniform(teacher.Data, 0.05f, 0.95f);
        var known = new bool[T * B];
        for (int i = 0; i < known.Length; i++) known[i] = i % 2 == 0;
        return (teacher, known);
    }

    public static TheoryData<int, int, OutputActivation, bool> Configurations()
    {
        var data = new TheoryData<int, int, OutputActivation, bool>();
        foreach (var (a, b) in new[] { (0, 0), (0, 1), (2, 0), (1, 2), (2, 3) })
            foreach (var act in Enum.GetValues<OutputActivation>())
                data.Add(a, b, act, false);
        foreach (var act in Enum.GetValues<OutputActivation>()) data.Add(1, 2, act, true);
        data.Add(0, 1, OutputActivation.Softmax, true);
        return data;
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void GradientsOfAPaddedBatchMatchCentralDifferences(int inputDelays, int outputDelays, OutputActivation feedback, bool teacherForced)
    {
        var model = new NarxNetwork(new NarxOptions(F, H, K, inputDelays, outputDelays, feedback), new Rng(7));
        var (x, lengths) = Batch();
        int T = x.Dim(0), B = x.Dim(1);
        var (teacher, known) = teacherForced ? Teacher(T, B) : (null, null);
        double Run(bool backward)
        {
            var o = model.Forward(x, lengths, teacher, known);
            var dO = backward ? new float[o.Length] : [];
            double loss = Loss(o.Data, T, B, lengths, dO);
            if (backward)
            {
                model.Parameters().ZeroGrad();
                model.Backward(dO);
            }
            return loss;
        }
        Run(backward: true);
        foreach (var (name, p) in model.NamedParameters())
        {
            var analytic = (float[])p.Grad.Data.Clone();
            var (worst, index, numeric, ana) = GradientCheck.Compare(() => Run(backward: false), p.Value.Data, analytic, 1e-2f, 2e-3, 2e-2);
            Assert.True(worst <= 1, $"{name}[{index}]: numeric {numeric}, analytic {ana}");
        }
        Run(backward: true);
        var dx = model.InputGradient.Data.ToArray(); // [T, B, F]
        var input = GradientCheck.Compare(() => Run(backward: false), x.Data, dx, 1e-2f, 2e-3, 2e-2);
        Assert.True(input.WorstRatio <= 1, $"x[{input.WorstIndex}]: numeric {input.Numeric}, analytic {input.Analytic}");
    }

    [Theory]
    [InlineData(0, 1, OutputActivation.Identity)]
    [InlineData(2, 3, OutputActivation.Softmax)]
    [InlineData(1, 2, OutputActivation.Sigmoid)]
    public void APaddedBatchGivesWhatEachSequenceGivesAlone(int inputDelays, int outputDelays, OutputActivation feedback)
    {
        var options = new NarxOptions(F, H, K, inputDelays, outputDelays, feedback);
        var batched = new NarxNetwork(options, new Rng(3));
        var (x, lengths) = Batch();
        int T = x.Dim(0), B = x.Dim(1);
        var o = batched.Forward(x, lengths).Data.ToArray();
        var dO = new float[o.Length];
        Loss(o, T, B, lengths, dO);
        batched.Backward(dO);

        var alone = new NarxNetwork(options, new Rng(3));
        for (int b = 0; b < B; b++)
        {
            var one = alone.Forward(Row(x, b, lengths[b]), null).Data.ToArray();
            for (int t = 0; t < T; t++)
                for (int j = 0; j < K; j++)
                    Assert.Equal(t < lengths[b] ? one[t * K + j] : 0f, o[(t * B + b) * K + j], 5);
            var dOne = new float[one.Length];
            Loss(one, lengths[b], 1, [lengths[b]], dOne);
            alone.Backward(dOne);
        }
        foreach (var ((name, p), (_, q)) in batched.NamedParameters().Zip(alone.NamedParameters()))
            for (int i = 0; i < p.Grad.Length; i++) Assert.True(Math.Abs(p.Grad.Data[i] - q.Grad.Data[i]) < 1e-5, $"{name}[{i}]: {p.Grad.Data[i]} batched, {q.Grad.Data[i]} alone");
    }

    [Fact]
    public void TeacherForcingWithTheNetworksOwnOutputsChangesNoOutput()
    {
        var model = new NarxNetwork(new NarxOptions(F, H, K, 1, 2, OutputActivation.Sigmoid), new Rng(4));
        var (x, lengths) = Batch();
        var free = model.Forward(x, lengths).Data.ToArray();
        var own = new Tensor(x.Dim(0), x.Dim(1), K);
        for (int i = 0; i < free.Length; i += K) System.Numerics.Tensors.TensorPrimitives.Sigmoid(free.AsSpan(i, K), own.Data.AsSpan(i, K));
        Assert.Equal(free, model.Forward(x, lengths, own, null).Data);
        var zeros = new Tensor(x.Dim(0), x.Dim(1), K); // a different teacher does change them: the feedback is read
        Assert.NotEqual(free, model.Forward(x, lengths, zeros, null).Data);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public void WithoutOutputDelaysAnOutputSeesOnlyItsInputWindow(int inputDelays)
    {
        var model = new NarxNetwork(new NarxOptions(F, H, K, inputDelays, OutputDelays: 0), new Rng(2));
        var (x, _) = Batch();
        var before = model.Forward(x, null).Data.ToArray();
        x.Data[0] += 1f; // x_0 of row 0
        var after = model.Forward(x, null).Data;
        int B = x.Dim(1);
        for (int t = 0; t < x.Dim(0); t++)
            Assert.Equal(t <= inputDelays, before[t * B * K] != after[t * B * K]);
    }

    [Fact]
    public void JordanIsNarxWithOneOutputDelayAndNoInputDelays()
    {
        var jordan = JordanNetwork.Create(F, H, K, new Rng(1));
        Assert.Equal(["weight_ih", "weight_oh", "bias_h", "output.weight", "output.bias"], jordan.NamedParameters().Select(p => p.Name));
        Assert.Equal([H, F], jordan.WeightIh.Value.Shape);
        Assert.Equal([H, K], jordan.WeightOh!.Value.Shape);
        Assert.Equal([3 * H, K], new NarxNetwork(new NarxOptions(F, H, K, 4, 3), new Rng(1)).WeightOh!.Value.Shape);
        Assert.Equal([5 * H, F], new NarxNetwork(new NarxOptions(F, H, K, 4, 3), new Rng(1)).WeightIh.Value.Shape);
        Assert.Null(new NarxNetwork(new NarxOptions(F, H, K, 1, 0), new Rng(1)).WeightOh);
    }

    [Fact]
    public void SavedWeightsLoadIntoAFreshNetworkAndGiveTheSameOutputs()
    {
        using var dir = new TempDirectory();
        var options = new NarxOptions(F, H, K, 2, 3, OutputActivation.Tanh);
        var saved = new NarxNetwork(options, new Rng(1));
        var (x, lengths) = Batch();
        var expected = saved.Forward(x, lengths).Data.ToArray();
        string path = dir.File("narx.safetensors");
        StateDict.Save(path, saved.NamedParameters());
        var loaded = new NarxNetwork(options, new Rng(99));
        Assert.NotEqual(expected, loaded.Forward(x, lengths).Data);
        StateDict.Load(path, loaded.NamedParameters());
        Assert.Equal(expected, loaded.Forward(x, lengths).Data);
        // A network with other delays does not take them: every misfit is named, nothing loaded.
        var other = new NarxNetwork(options with { OutputDelays = 1 }, new Rng(1));
        var error = Assert.Throws<ArgumentException>(() => other.LoadStateDict(saved.StateDict()));
        Assert.Contains("weight_oh", error.Message);
    }

    [Theory]
    [InlineData(-1, 1, "InputDelays")]
    [InlineData(0, -2, "OutputDelays")]
    public void NegativeDelaysAreRefusedByName(int inputDelays, int outputDelays, string setting)
    {
        var error = Assert.Throws<SettingException>(() => new NarxNetwork(new NarxOptions(F, H, K, inputDelays, outputDelays), new Rng(1)));
        Assert.Equal(setting, error.Setting);
    }
}
