using Carousel.Diagnostics;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Tensors;

namespace Carousel.Tests.Layers;

/// <summary>
/// The clockwork and timescales cells and the time-delay layer: backward against central differences in every
/// configuration (stacked, bidirectional, padded, periods and windows), a padded batch against each sequence alone,
/// and the structure itself (inactive modules keep their state, masked weights stay zero, windows see no padding).
/// </summary>
public class ClockworkAndTimeDelayTests
{
    private const float Epsilon = 4e-3f;
    private const double AbsoluteTolerance = 3e-3, RelativeTolerance = 2e-2;

    public static TheoryData<string, RecurrentOptions, bool> GradientCases()
    {
        var data = new TheoryData<string, RecurrentOptions, bool>();
        foreach (var cell in new[] { CellKind.Clockwork, CellKind.Timescales })
        {
            string name = cell.ToCliName();
            data.Add($"{name} 1×4", new RecurrentOptions(cell, 3, 4), false);
            // 4 modules of 5 units: the vectorised tanh with a scalar tail, periods that do not divide each other.
            data.Add($"{name} 1×20 periods 1,3,5,7", new RecurrentOptions(cell, 3, 20, ClockPeriods: [1, 3, 5, 7]), false);
            data.Add($"{name} 2×4 bidirectional padded", new RecurrentOptions(cell, 3, 4, Layers: 2, Bidirectional: true), true);
            data.Add($"{name} 2×6 periods 1,2 padded", new RecurrentOptions(cell, 3, 6, Layers: 2, ClockPeriods: [1, 2]), true);
        }
        data.Add("tdnn 1×4 context 2,2", new RecurrentOptions(CellKind.TimeDelay, 3, 4), false);
        data.Add("tdnn 1×19 causal 2,0", new RecurrentOptions(CellKind.TimeDelay, 3, 19, TimeDelay: new TimeDelayWindow(2, 0)), false);
        data.Add("tdnn 2×4 padded dilations 1,2", new RecurrentOptions(CellKind.TimeDelay, 3, 4, Layers: 2), true);
        data.Add("tdnn 3×4 padded context 1,2 dilations 1,3,1", new RecurrentOptions(CellKind.TimeDelay, 3, 4, Layers: 3,
            TimeDelay: new TimeDelayWindow(1, 2, [1, 3, 1])), true);
        return data;
    }

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void BackwardMatchesCentralDifferences(string name, RecurrentOptions options, bool padded)
    {
        int[]? lengths = padded ? [6, 2, 4] : null;
        var probe = new RecurrentProbe(options, steps: 6, batch: 3, seed: 23, givenInitialState: true, lengths);
        var gradients = probe.Gradients();
        // ReLU (time-delay layers) has a kink at 0: a smaller step makes it unlikely that a perturbation crosses it.
        float epsilon = options.Cell == CellKind.TimeDelay ? Epsilon / 8 : Epsilon;
        foreach (var p in probe.Stack.Parameters())
            AssertClose(probe, p.Value.Data, p.Grad.Data, $"{name}: {p.Name}", epsilon);
        AssertClose(probe, probe.X.Data, gradients.Input.Data, $"{name}: x", epsilon);
        AssertClose(probe, probe.Initial!.H.Data, gradients.Initial.H.Data, $"{name}: h0", epsilon);
    }

    private static void AssertClose(RecurrentProbe probe, float[] values, float[] analytic, string name, float epsilon)
    {
        var (worst, index, numeric, ana) = GradientCheck.Compare(probe.Loss, values, analytic, epsilon, AbsoluteTolerance, RelativeTolerance);
        Assert.True(worst <= 1.0, $"{name}[{index}]: numeric {numeric:G6}, analytic {ana:G6} (ratio {worst:G3})");
    }

    public static TheoryData<string, RecurrentOptions> PaddingCases() => new()
    {
        { "clockwork", new RecurrentOptions(CellKind.Clockwork, 3, 4, Layers: 2, Bidirectional: true) },
        { "timescales", new RecurrentOptions(CellKind.Timescales, 3, 6, Layers: 2, Bidirectional: true, ClockPeriods: [1, 2, 3]) },
        { "tdnn", new RecurrentOptions(CellKind.TimeDelay, 3, 4, Layers: 2, TimeDelay: new TimeDelayWindow(2, 1)) },
    };

    [Theory]
    [MemberData(nameof(PaddingCases))]
    public void PaddedBatchEqualsEachSequenceAlone(string name, RecurrentOptions options)
    {
        Assert.NotEmpty(name);
        RecurrentPropertyTests.AssertPaddedBatchEqualsEachSequenceAlone(options);
    }

    [Fact]
    public void InactiveModulesKeepTheirStateAndActiveOnesMatchTheTanhRnn()
    {
        // Periods 1, 2, 4 over 3 modules of 2 units. Module i updates at steps t with t mod T_i = 0.
        const int T = 8, H = 6;
        var stack = new RecurrentStack(new RecurrentOptions(CellKind.Clockwork, 2, H, ClockPeriods: [1, 2, 4]), new Rng(3));
        var x = RecurrentProbe.Random(new Rng(4), T, 1, 2);
        var y = stack.Forward(x).Output;
        var p = stack.Parameters();
        float[] wIh = p[0].Value.Data, wHh = p[1].Value.Data, bIh = p[2].Value.Data, bHh = p[3].Value.Data;
        var h = new float[H];
        for (int t = 0; t < T; t++)
        {
            var next = new float[H];
            for (int j = 0; j < H; j++)
            {
                int module = j / 2, period = 1 << module;
                if (t % period != 0) { next[j] = h[j]; continue; }
                double a = bIh[j] + bHh[j] + wIh[j * 2] * x.Data[t * 2] + wIh[j * 2 + 1] * x.Data[t * 2 + 1];
                for (int k = 2 * module; k < H; k++) a += wHh[j * H + k] * h[k]; // module i reads modules ≥ i only
                next[j] = (float)Math.Tanh(a);
            }
            h = next;
            for (int j = 0; j < H; j++) Numerics.Close(h[j], y.Data[t * H + j], 1e-5, 1e-6, $"h[{t}][{j}]");
        }
        // The slowest module changed only at steps 0 and 4.
        Assert.Equal(y.Data[0 * H + 5], y.Data[3 * H + 5]);
        Assert.NotEqual(y.Data[3 * H + 5], y.Data[4 * H + 5]);
    }

    [Fact]
    public void MaskedRecurrentWeightsStartAtZeroGetNoGradientAndAreNeverRead()
    {
        const int H = 6;
        var options = new RecurrentOptions(CellKind.Clockwork, 2, H, ClockPeriods: [1, 2, 4]);
        var probe = new RecurrentProbe(options, 5, 2, seed: 8);
        var fresh = new RecurrentStack(options, new Rng(1)).Parameters()[1].Value.Data;
        var weightHh = probe.Stack.Parameters()[1];
        var before = probe.Loss();
        probe.Gradients();
        for (int row = 0; row < H; row++)
            for (int col = 0; col < H; col++)
            {
                bool masked = col / 2 < row / 2;
                if (masked)
                {
                    Assert.Equal(0f, fresh[row * H + col]);
                    Assert.Equal(0f, weightHh.Grad.Data[row * H + col]);
                    weightHh.Value.Data[row * H + col] = 50f; // never read
                }
                else Assert.NotEqual(0f, weightHh.Grad.Data[row * H + col]);
            }
        Assert.Equal(before, probe.Loss());
        Assert.Equal(options.ParameterCount() - 3 * 4, options.FreeParameterCount()); // 3 blocks of 2×2 below the diagonal
    }

    [Fact]
    public void ClockCarriedAcrossChunksOfWholePeriodsEqualsOneLongPass()
    {
        // The clock restarts at each forward: chunks that are multiples of the longest period continue it exactly.
        var options = new RecurrentOptions(CellKind.Clockwork, 3, 4, Layers: 2);
        var probe = new RecurrentProbe(options, 16, 2, seed: 9);
        var expected = probe.Stack.Forward(probe.X, probe.Initial).Output.Clone();
        var state = probe.Initial;
        for (int start = 0; start < 16; start += 8)
        {
            var x = new Tensor(probe.X.Data.AsSpan(start * 2 * 3, 8 * 2 * 3).ToArray(), 8, 2, 3);
            var (y, final) = probe.Stack.Forward(x, state);
            for (int i = 0; i < y.Length; i++) Numerics.Close(expected.Data[start * 2 * 4 + i], y.Data[i], 1e-6, 1e-6, "y");
            state = final;
        }
    }

    [Fact]
    public void TimeDelayLayerIsADilatedConvolutionThatSeesNoFramesOutsideTheSequence()
    {
        // One layer, In 1, H 1, window 1 before and 1 after with dilation 1: y_t = relu(w0·x_{t−1} + w1·x_t + w2·x_{t+1} + b).
        var stack = new RecurrentStack(new RecurrentOptions(CellKind.TimeDelay, 1, 1, TimeDelay: new TimeDelayWindow(1, 1, [2])), new Rng(1));
        var p = stack.Parameters();
        Assert.Equal(["weight_l0", "bias_l0"], p.Select(q => q.Name));
        Assert.Equal([1, 1, 3], p[0].Value.Shape);
        p[0].Value.Data[0] = 1f; p[0].Value.Data[1] = 10f; p[0].Value.Data[2] = 100f; p[1].Value.Data[0] = 0.5f;
        var x = new Tensor([1f, 2f, 3f, 4f, 5f, 99f], 6, 1, 1);
        var y = stack.Forward(x, lengths: [5]).Output;
        // Dilation 2: y_t = x_{t−2} + 10·x_t + 100·x_{t+2} + 0.5; frames outside 0..4 count as 0 (step 5 is padding).
        float[] expected = [10 + 300 + 0.5f, 20 + 400 + 0.5f, 1 + 30 + 500 + 0.5f, 2 + 40 + 0.5f, 3 + 50 + 0.5f, 0f];
        Assert.Equal(expected, y.Data);
    }

    [Fact]
    public void SettingsOutOfRangeAreRejectedByName()
    {
        Assert.Equal("HiddenSize", Assert.Throws<SettingException>(() => new RecurrentOptions(CellKind.Clockwork, 2, 6).Validate()).Setting);
        Assert.Equal("ClockPeriods", Assert.Throws<SettingException>(() => new RecurrentOptions(CellKind.Clockwork, 2, 4, ClockPeriods: [2, 1]).Validate()).Setting);
        Assert.Equal("ClockPeriods", Assert.Throws<SettingException>(() => new RecurrentOptions(CellKind.Lstm, 2, 4, ClockPeriods: [1, 2]).Validate()).Setting);
        Assert.Equal("Bidirectional", Assert.Throws<SettingException>(() => new RecurrentOptions(CellKind.TimeDelay, 2, 4, Bidirectional: true).Validate()).Setting);
        Assert.Equal("TimeDelay", Assert.Throws<SettingException>(() =>
            new RecurrentOptions(CellKind.TimeDelay, 2, 4, Layers: 2, TimeDelay: new TimeDelayWindow(1, 1, [1])).Validate()).Setting);
        Assert.Equal("TimeDelay", Assert.Throws<SettingException>(() => new RecurrentOptions(CellKind.Gru, 2, 4, TimeDelay: new TimeDelayWindow()).Validate()).Setting);
    }

    [Theory]
    [MemberData(nameof(PaddingCases))]
    public void EvalForwardThroughTheTokenTableEqualsTheEmbeddedForward(string name, RecurrentOptions options)
    {
        const int T = 6, B = 3, V = 7;
        var rng = new Rng(2);
        var embedding = new Embedding(V, options.InputSize, rng);
        var stack = new RecurrentStack(options, rng) { Training = false };
        var ids = new int[T * B];
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.NextInt(V);
        int[] lengths = [6, 2, 4];
        var embedded = new float[T * B * options.InputSize];
        embedding.Forward(ids, embedded);
        var expected = stack.Forward(new Tensor(embedded, T, B, options.InputSize), null, lengths).Output.Data.ToArray();
        var table = stack.ForwardEmbedded(embedding, ids, T, B, null, lengths).Output.Data;
        Assert.True(expected.AsSpan().SequenceEqual(table), name);
    }

    [Theory]
    [MemberData(nameof(PaddingCases))]
    public void TrainingThroughTheTokenTableGivesTheEmbeddedPathsGradients(string name, RecurrentOptions options)
    {
        const int T = 6, B = 3, V = 7;
        var rng = new Rng(4);
        var embedding = new Embedding(V, options.InputSize, rng);
        var stack = new RecurrentStack(options, rng);
        var ids = new int[T * B];
        for (int i = 0; i < ids.Length; i++) ids[i] = rng.NextInt(V);
        int[] lengths = [6, 2, 4];
        var dy = RecurrentProbe.Random(rng, T, B, options.OutputSize);
        // The embedded path: rows looked up, the stack's input gradient scattered back by the embedding.
        var embedded = new float[T * B * options.InputSize];
        embedding.Forward(ids, embedded);
        stack.Forward(new Tensor(embedded, T, B, options.InputSize), null, lengths);
        var input = stack.Backward(dy).Input;
        embedding.Backward(input.Data);
        var expected = stack.Parameters().Select(p => p.Grad.Data.ToArray()).Append(embedding.Weight.Grad.Data.ToArray()).ToArray();
        stack.Parameters().ZeroGrad();
        embedding.Weight.ZeroGrad();
        stack.ForwardEmbedded(embedding, ids, T, B, null, lengths);
        stack.Backward(dy);
        var got = stack.Parameters().Select(p => p.Grad.Data).Append(embedding.Weight.Grad.Data).ToArray();
        for (int i = 0; i < got.Length; i++)
            for (int k = 0; k < got[i].Length; k++) Numerics.Close(expected[i][k], got[i][k], 1e-5, 1e-5, $"{name} gradient {i}[{k}]");
    }
}
