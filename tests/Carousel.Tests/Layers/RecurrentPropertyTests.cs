using Carousel.Layers.Recurrent;
using Carousel.Tensors;

namespace Carousel.Tests.Layers;

public class RecurrentPropertyTests
{
    public static TheoryData<CellKind> Cells() => new()
        { CellKind.RnnTanh, CellKind.RnnRelu, CellKind.Lstm, CellKind.Gru, CellKind.LstmNoForgetGate, CellKind.LstmPeephole };

    [Theory]
    [MemberData(nameof(Cells))]
    public void PaddedBatchEqualsEachSequenceAlone(CellKind cell) =>
        AssertPaddedBatchEqualsEachSequenceAlone(new RecurrentOptions(cell, 3, 4, Layers: 2, Bidirectional: true));

    /// <summary>Outputs, final states and all gradients of a padded batch equal those of each sequence run alone (In = 3, T = 6, B = 3).</summary>
    internal static void AssertPaddedBatchEqualsEachSequenceAlone(RecurrentOptions options)
    {
        const int T = 6, B = 3, In = 3;
        int H = options.HiddenSize, W = options.OutputSize;
        int[] lengths = [6, 2, 4];
        var probe = new RecurrentProbe(options, T, B, seed: 5, givenInitialState: true, lengths);
        // Whatever sits in the padding must not matter: fill it with large values.
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                if (t >= lengths[b])
                    for (int f = 0; f < In; f++) probe.X.Data[(t * B + b) * In + f] = 100f;
        // The probe gradients of padded outputs are ignored by a padded run; zero them so the lone runs agree.
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                if (t >= lengths[b]) probe.Ry.Slice(t).Slice(b * W, W).Clear();

        var (batchY, batchFinal) = probe.Stack.Forward(probe.X, probe.Initial, lengths);
        var batchOutput = batchY.Clone();
        var batchGradients = probe.Gradients();
        var batchWeightGrads = probe.Stack.Parameters().Select(p => p.Grad.Data.ToArray()).ToArray();
        var summedAloneGrads = probe.Stack.Parameters().Select(p => new float[p.Grad.Length]).ToArray();

        int layersTimesDirections = options.Layers * options.Directions;
        for (int b = 0; b < B; b++)
        {
            int len = lengths[b];
            var x = Rows(probe.X, b, len, B);
            var h0 = StateRow(probe.Initial!.H, b, B);
            var c0 = probe.Initial.C is null ? null : StateRow(probe.Initial.C, b, B);
            var (y, final) = probe.Stack.Forward(x, new RecurrentState(h0, c0));
            for (int t = 0; t < T; t++)
                for (int j = 0; j < W; j++)
                {
                    float expected = t < len ? y.Data[t * W + j] : 0f;
                    Numerics.Close(expected, batchOutput.Data[(t * B + b) * W + j], 1e-5, 1e-5, "expected");
                }
            for (int sd = 0; sd < layersTimesDirections; sd++)
                for (int j = 0; j < H; j++)
                {
                    Numerics.Close(final.H.Data[sd * H + j], batchFinal.H.Data[(sd * B + b) * H + j], 1e-5, 1e-5, "final.H.Data[sd * H + j]");
                    if (final.C is not null) Numerics.Close(final.C.Data[sd * H + j], batchFinal.C!.Data[(sd * B + b) * H + j], 1e-5, 1e-5, "final.C.Data[sd * H + j]");
                }

            // Gradients: the same probe restricted to this sequence.
            probe.Stack.Parameters().ZeroGrad();
            var grads = probe.Stack.Backward(Rows(probe.Ry, b, len, B),
                new RecurrentState(StateRow(probe.RFinal.H, b, B), probe.RFinal.C is null ? null : StateRow(probe.RFinal.C, b, B)));
            for (int t = 0; t < len; t++)
                for (int f = 0; f < In; f++)
                    Numerics.Close(grads.Input.Data[t * In + f], batchGradients.Input.Data[(t * B + b) * In + f], 1e-5, 1e-5, "grads.Input.Data[t * In + f]");
            for (int t = len; t < T; t++)
                for (int f = 0; f < In; f++)
                    Assert.Equal(0f, batchGradients.Input.Data[(t * B + b) * In + f]);
            for (int sd = 0; sd < layersTimesDirections; sd++)
                for (int j = 0; j < H; j++)
                    Numerics.Close(grads.Initial.H.Data[sd * H + j], batchGradients.Initial.H.Data[(sd * B + b) * H + j], 1e-5, 1e-5, "grads.Initial.H.Data[sd * H + j]");
            var ps = probe.Stack.Parameters();
            for (int i = 0; i < ps.Count; i++)
                for (int k = 0; k < ps[i].Grad.Length; k++) summedAloneGrads[i][k] += ps[i].Grad.Data[k];
        }
        // Weight gradients of the padded batch are the sums over the sequences run alone.
        for (int i = 0; i < summedAloneGrads.Length; i++)
            for (int k = 0; k < summedAloneGrads[i].Length; k++)
                Assert.True(Math.Abs(summedAloneGrads[i][k] - batchWeightGrads[i][k]) <= 1e-4 * (1 + Math.Abs(batchWeightGrads[i][k])),
                    $"parameter {i} element {k}: alone {summedAloneGrads[i][k]}, batch {batchWeightGrads[i][k]}");
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void TruncatedChunksWithCarriedStateEqualOneLongPass(CellKind cell)
    {
        const int T = 12, B = 2;
        var options = new RecurrentOptions(cell, 3, 5, Layers: 2);
        var probe = new RecurrentProbe(options, T, B, seed: 9);
        var (longY, longFinal) = probe.Stack.Forward(probe.X, probe.Initial);
        var expected = longY.Clone();
        var expectedFinal = longFinal;

        var state = probe.Initial;
        int start = 0;
        foreach (int chunk in new[] { 5, 4, 3 })
        {
            var x = new Tensor(probe.X.Data.AsSpan(start * B * 3, chunk * B * 3).ToArray(), chunk, B, 3);
            var (y, final) = probe.Stack.Forward(x, state);
            for (int i = 0; i < y.Length; i++) Numerics.Close(expected.Data[start * B * 5 + i], y.Data[i], 1e-5, 1e-5, "expected.Data[start * B * 5 + i]");
            state = final;
            start += chunk;
        }
        for (int i = 0; i < expectedFinal.H.Length; i++) Numerics.Close(expectedFinal.H.Data[i], state!.H.Data[i], 1e-5, 1e-5, "expectedFinal.H.Data[i]");
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void BackwardTwiceDoublesParameterGradients(CellKind cell)
    {
        var probe = new RecurrentProbe(new RecurrentOptions(cell, 3, 4, Layers: 2, Bidirectional: true), 4, 2, seed: 3);
        probe.Gradients();
        var once = probe.Stack.Parameters().Select(p => p.Grad.Data.ToArray()).ToArray();
        probe.Stack.Backward(probe.Ry, probe.RFinal);
        var ps = probe.Stack.Parameters();
        for (int i = 0; i < ps.Count; i++)
            for (int k = 0; k < once[i].Length; k++)
                Numerics.Close(2.0 * once[i][k], ps[i].Grad.Data[k], 1e-5, 1e-6, $"{ps[i].Name}[{k}]");
    }

    [Fact]
    public void SameSeedGivesSameWeightsAndDropoutMasks()
    {
        var options = new RecurrentOptions(CellKind.Lstm, 3, 4, Layers: 3, Dropout: 0.5f);
        RecurrentStack Make() => new(options, new Rng(42));
        var a = Make(); var b = Make(); var c = new RecurrentStack(options, new Rng(43));
        var x = RecurrentProbe.Random(new Rng(1), 5, 2, 3);
        var ya = a.Forward(x).Output.Clone(); var yb = b.Forward(x).Output.Clone();
        Assert.Equal(ya.Data, yb.Data);
        Assert.NotEqual(a.Parameters()[0].Value.Data, c.Parameters()[0].Value.Data);
    }

    [Fact]
    public void DropoutActsOnlyWhileTrainingAndScalesKeptUnits()
    {
        var options = new RecurrentOptions(CellKind.Gru, 3, 64, Layers: 2, Dropout: 0.25f);
        var stack = new RecurrentStack(options, new Rng(7));
        var x = RecurrentProbe.Random(new Rng(2), 3, 4, 3);
        var train1 = stack.Forward(x).Output.Clone();
        var train2 = stack.Forward(x).Output.Clone();
        Assert.NotEqual(train1.Data, train2.Data); // a fresh mask each forward
        stack.Training = false;
        var eval1 = stack.Forward(x).Output.Clone();
        var eval2 = stack.Forward(x).Output.Clone();
        Assert.Equal(eval1.Data, eval2.Data);
        Assert.NotEqual(eval1.Data, train1.Data);
    }

    [Fact]
    public void LearnedInitialStateIsUsedAndTrained()
    {
        var options = new RecurrentOptions(CellKind.Lstm, 2, 3, Layers: 1, InitialState: InitialStateMode.Learned);
        var stack = new RecurrentStack(options, new Rng(1));
        var names = stack.Parameters().Select(p => p.Name).ToArray();
        Assert.Contains("initial_h_l0", names);
        Assert.Contains("initial_c_l0", names);
        var x = RecurrentProbe.Random(new Rng(2), 3, 2, 2);
        var before = stack.Forward(x).Output.Clone();
        stack.Parameters().Single(p => p.Name == "initial_h_l0").Value.Data[0] = 0.9f;
        var after = stack.Forward(x).Output.Clone();
        Assert.NotEqual(before.Data, after.Data);
    }

    [Fact]
    public void RejectsBadShapesAndLengths()
    {
        var stack = new RecurrentStack(new RecurrentOptions(CellKind.Lstm, 3, 4), new Rng(1));
        Assert.Throws<ArgumentException>(() => stack.Forward(new Tensor(5, 2, 4)));
        Assert.Throws<ArgumentException>(() => stack.Forward(new Tensor(5, 2, 3), lengths: [5, 6]));
        Assert.Throws<ArgumentException>(() => stack.Forward(new Tensor(5, 2, 3), lengths: [5]));
        Assert.Throws<ArgumentException>(() => stack.Forward(new Tensor(5, 2, 3), new RecurrentState(new Tensor(1, 2, 4), null)));
        Assert.Throws<SettingException>(() => new RecurrentStack(new RecurrentOptions(CellKind.Gru, 3, 0), new Rng(1)));
        Assert.Throws<SettingException>(() => new RecurrentStack(new RecurrentOptions(CellKind.Gru, 3, 4, Dropout: 1f), new Rng(1)));
    }

    // The rows of one sequence b out of a time-major [T, B, F] tensor, as [len, 1, F].
    private static Tensor Rows(Tensor x, int b, int len, int batch)
    {
        int F = x.Dim(2);
        var data = new float[len * F];
        for (int t = 0; t < len; t++) x.Data.AsSpan((t * batch + b) * F, F).CopyTo(data.AsSpan(t * F, F));
        return new Tensor(data, len, 1, F);
    }

    private static Tensor StateRow(Tensor state, int b, int batch)
    {
        int n = state.Dim(0), H = state.Dim(2);
        var data = new float[n * H];
        for (int sd = 0; sd < n; sd++) state.Data.AsSpan((sd * batch + b) * H, H).CopyTo(data.AsSpan(sd * H, H));
        return new Tensor(data, n, 1, H);
    }
}
