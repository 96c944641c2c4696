using Carousel.IO;
using Carousel.Layers.Recurrent;
using Carousel.Tensors;

namespace Carousel.Tests.Layers;

/// <summary>
/// The LSTM without forget gate and the peephole LSTM: forward against the papers' formulas written out
/// element by element, reductions to the forget-gate LSTM, names and shapes, state dicts, CLI names.
/// (Gradients: <see cref="RecurrentGradientCheckTests"/>; padding and carried state: <see cref="RecurrentPropertyTests"/>.)
/// </summary>
public class LstmVariantTests
{
    [Theory]
    [InlineData(CellKind.LstmNoForgetGate, 3)]
    [InlineData(CellKind.LstmNoForgetGate, 19)]
    [InlineData(CellKind.LstmPeephole, 3)]
    [InlineData(CellKind.LstmPeephole, 19)]
    public void ForwardFollowsThePapersFormulas(CellKind cell, int hidden)
    {
        const int T = 4, B = 2, In = 3;
        var probe = new RecurrentProbe(new RecurrentOptions(cell, In, hidden), T, B, seed: 11);
        var (y, final) = probe.Stack.Forward(probe.X, probe.Initial);
        var expected = ReferenceForward(cell, probe.Stack, probe.X, probe.Initial!);
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                for (int j = 0; j < hidden; j++)
                    Numerics.Close(expected.H[t, b, j], y.Data[(t * B + b) * hidden + j], 1e-5, 1e-5, $"h[{t}, {b}, {j}]");
        for (int b = 0; b < B; b++)
            for (int j = 0; j < hidden; j++)
                Numerics.Close(expected.C[T - 1, b, j], final.C!.Data[b * hidden + j], 1e-5, 1e-5, $"c_T[{b}, {j}]");
    }

    [Fact]
    public void PeepholeLstmWithZeroPeepholesIsTheLstm()
    {
        var peephole = new RecurrentProbe(new RecurrentOptions(CellKind.LstmPeephole, 3, 5, Layers: 2, Bidirectional: true), 6, 2, seed: 4);
        var lstm = new RecurrentStack(new RecurrentOptions(CellKind.Lstm, 3, 5, Layers: 2, Bidirectional: true), new Rng(1));
        foreach (var p in peephole.Stack.Parameters())
        {
            if (p.Name.StartsWith("weight_c")) Array.Clear(p.Value.Data);
            else p.Value.Data.CopyTo(lstm.Parameters().Single(q => q.Name == p.Name).Value.Data, 0);
        }
        var (expected, _) = lstm.Forward(peephole.X, peephole.Initial);
        var (actual, _) = peephole.Stack.Forward(peephole.X, peephole.Initial);
        for (int i = 0; i < expected.Length; i++) Numerics.Close(expected.Data[i], actual.Data[i], 1e-6, 1e-6, $"y[{i}]");
    }

    [Fact]
    public void LstmWithoutForgetGateIsTheLstmWithItsForgetGateHeldOpen()
    {
        const int H = 4;
        var noForget = new RecurrentProbe(new RecurrentOptions(CellKind.LstmNoForgetGate, 3, H), 7, 3, seed: 8);
        var lstm = new RecurrentStack(new RecurrentOptions(CellKind.Lstm, 3, H), new Rng(1));
        // LSTM blocks i, f, g, o; the 1997 cell's blocks i, g, o. A forget gate with zero weights and a bias of 40 is σ(40) = 1 in float32.
        int[] lstmBlockOf = [0, 2, 3];
        foreach (var p in lstm.Parameters())
        {
            var source = noForget.Stack.Parameters().Single(q => q.Name == p.Name).Value.Data;
            int width = p.Value.Length / (4 * H);   // elements per gate unit: In, H or 1
            for (int k = 0; k < 3; k++)
                source.AsSpan(k * H * width, H * width).CopyTo(p.Value.Data.AsSpan(lstmBlockOf[k] * H * width, H * width));
            p.Value.Data.AsSpan(H * width, H * width).Fill(p.Name.StartsWith("bias_ih") ? 40f : 0f);
        }
        var (expected, expectedFinal) = lstm.Forward(noForget.X, noForget.Initial);
        var (actual, actualFinal) = noForget.Stack.Forward(noForget.X, noForget.Initial);
        for (int i = 0; i < expected.Length; i++) Numerics.Close(expected.Data[i], actual.Data[i], 1e-6, 1e-6, $"y[{i}]");
        for (int i = 0; i < expectedFinal.C!.Length; i++) Numerics.Close(expectedFinal.C.Data[i], actualFinal.C!.Data[i], 1e-6, 1e-6, $"c[{i}]");
    }

    [Fact]
    public void ParametersHavePyTorchStyleNamesAndShapes()
    {
        var noForget = new RecurrentStack(new RecurrentOptions(CellKind.LstmNoForgetGate, 3, 5, Layers: 2, Bidirectional: true), new Rng(1));
        Assert.Equal(["weight_ih_l0 [15, 3]", "weight_hh_l0 [15, 5]", "bias_ih_l0 [15]", "bias_hh_l0 [15]"],
            noForget.Parameters().Take(4).Select(Describe));
        Assert.Equal(16, noForget.Parameters().Count);

        var peephole = new RecurrentStack(new RecurrentOptions(CellKind.LstmPeephole, 3, 5, Layers: 2, Bidirectional: true), new Rng(1));
        var names = peephole.Parameters().Select(Describe).ToArray();
        Assert.Equal(28, names.Length);
        Assert.Equal(["weight_ih_l1_reverse [20, 10]", "weight_hh_l1_reverse [20, 5]", "bias_ih_l1_reverse [20]", "bias_hh_l1_reverse [20]",
            "weight_ci_l1_reverse [5]", "weight_cf_l1_reverse [5]", "weight_co_l1_reverse [5]"], names[^7..]);
        // Initialised like every recurrent parameter: U(−1/√H, 1/√H), not left at zero.
        var co = peephole.Parameters().Single(p => p.Name == "weight_co_l0").Value.Data;
        Assert.Contains(co, v => v != 0f);
        Assert.All(co, v => Assert.InRange(v, -1 / MathF.Sqrt(5), 1 / MathF.Sqrt(5)));
    }

    [Fact]
    public void PeepholeWeightsTravelInStateDicts()
    {
        using var directory = new TempDirectory();
        var options = new RecurrentOptions(CellKind.LstmPeephole, 2, 3, Bidirectional: true);
        var saved = new RecurrentStack(options, new Rng(1));
        var loaded = new RecurrentStack(options, new Rng(2));
        string path = directory.File("peephole.safetensors");
        StateDict.Save(path, saved.Parameters().Prefixed("rnn."));

        var result = StateDict.Load(path, loaded.Parameters().Prefixed("rnn."));

        Assert.Empty(result.MissingNames);
        var x = RecurrentProbe.Random(new Rng(3), 4, 1, 2);
        Assert.Equal(saved.Forward(x).Output.Clone().Data, loaded.Forward(x).Output.Data);
        // A forget-gate LSTM's file lacks the peepholes: a strict load says so.
        var lstmPath = directory.File("lstm.safetensors");
        StateDict.Save(lstmPath, new RecurrentStack(options with { Cell = CellKind.Lstm }, new Rng(1)).Parameters().Prefixed("rnn."));
        var error = Assert.Throws<InvalidDataException>(() => StateDict.Load(lstmPath, loaded.Parameters().Prefixed("rnn.")));
        Assert.Contains("weight_ci_l0", error.Message);
    }

    [Theory]
    [InlineData("lstm-nofg", CellKind.LstmNoForgetGate)]
    [InlineData("lstm1997", CellKind.LstmNoForgetGate)]
    [InlineData("LSTM_NOFG", CellKind.LstmNoForgetGate)]
    [InlineData("lstm-peephole", CellKind.LstmPeephole)]
    [InlineData("peephole", CellKind.LstmPeephole)]
    [InlineData("lstm", CellKind.Lstm)]
    public void CliNamesParseAndRoundTrip(string name, CellKind cell)
    {
        Assert.Equal(cell, CellKinds.Parse(name));
        Assert.Equal(cell, CellKinds.Parse(cell.ToCliName()));
    }

    [Fact]
    public void ForgetGateBiasIsSetForThePeepholeLstmAndRefusedWithoutAForgetGate()
    {
        var peephole = new RecurrentStack(new RecurrentOptions(CellKind.LstmPeephole, 2, 3), new Rng(1));
        peephole.InitializeForgetGateBias(2f);
        Assert.Equal([2f, 2f, 2f], peephole.Parameters().Single(p => p.Name == "bias_ih_l0").Value.Data[3..6]);

        var noForget = new RecurrentStack(new RecurrentOptions(CellKind.LstmNoForgetGate, 2, 3), new Rng(1));
        var before = noForget.Parameters().Single(p => p.Name == "bias_ih_l0").Value.Data.ToArray();
        var error = Assert.Throws<InvalidOperationException>(() => noForget.InitializeForgetGateBias(2f));
        Assert.Contains("no forget gate", error.Message);
        Assert.Equal(before, noForget.Parameters().Single(p => p.Name == "bias_ih_l0").Value.Data);
    }

    private static string Describe(Parameter p) => $"{p.Name} [{string.Join(", ", p.Value.Shape)}]";

    // The cells one element at a time in double precision, as the papers write them (single layer, one direction).
    private static (double[,,] H, double[,,] C) ReferenceForward(CellKind cell, RecurrentStack stack, Tensor x, RecurrentState initial)
    {
        int T = x.Dim(0), B = x.Dim(1), In = x.Dim(2), H = stack.Options.HiddenSize;
        float[] Value(string name) => stack.Parameters().Single(p => p.Name == name).Value.Data;
        float[] wIh = Value("weight_ih_l0"), wHh = Value("weight_hh_l0"), bIh = Value("bias_ih_l0"), bHh = Value("bias_hh_l0");
        bool peephole = cell == CellKind.LstmPeephole;
        float[] pI = peephole ? Value("weight_ci_l0") : new float[H];
        float[] pF = peephole ? Value("weight_cf_l0") : new float[H];
        float[] pO = peephole ? Value("weight_co_l0") : new float[H];
        // Gate block index of i, f, g, o in the weights (no f block without forget gate).
        int bi = 0, bf = 1, bg = peephole ? 2 : 1, bo = peephole ? 3 : 2;
        var hs = new double[T, B, H]; var cs = new double[T, B, H];
        for (int b = 0; b < B; b++)
        {
            var h = new double[H]; var c = new double[H];
            for (int j = 0; j < H; j++) { h[j] = initial.H.Data[b * H + j]; c[j] = initial.C!.Data[b * H + j]; }
            for (int t = 0; t < T; t++)
            {
                double A(int block, int j)
                {
                    int r = block * H + j;
                    double s = bIh[r] + bHh[r];
                    for (int k = 0; k < In; k++) s += wIh[r * In + k] * x.Data[(t * B + b) * In + k];
                    for (int k = 0; k < H; k++) s += wHh[r * H + k] * h[k];
                    return s;
                }
                var hNext = new double[H]; var cNext = new double[H];
                for (int j = 0; j < H; j++)
                {
                    double i = Sigmoid(A(bi, j) + pI[j] * c[j]);
                    double f = peephole ? Sigmoid(A(bf, j) + pF[j] * c[j]) : 1.0;
                    double g = Math.Tanh(A(bg, j));
                    cNext[j] = f * c[j] + i * g;
                    double o = Sigmoid(A(bo, j) + pO[j] * cNext[j]);
                    hNext[j] = o * Math.Tanh(cNext[j]);
                }
                h = hNext; c = cNext;
                for (int j = 0; j < H; j++) { hs[t, b, j] = h[j]; cs[t, b, j] = c[j]; }
            }
        }
        return (hs, cs);
    }

    private static double Sigmoid(double a) => 1 / (1 + Math.Exp(-a));
}
