using Carousel.Diagnostics;
using Carousel.Layers.Recurrent;
using Carousel.Tensors;

namespace Carousel.Tests.Layers;

/// <summary>
/// The recorded ‖∂L/∂h_t‖ against an independent computation: split the sequence after step t, run the tail from the
/// head's final state, and take the gradient of the tail's initial state; the total gradient reaching h_t is that plus
/// the direct gradient of the output y_t = h_t.
/// </summary>
public class StateGradientRecorderTests
{
    private const int Steps = 7, Batch = 3;

    [Theory]
    [InlineData(CellKind.RnnTanh)]
    [InlineData(CellKind.RnnRelu)]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void RecordedNormsEqualTheGradientOfTheStateWhereTheSequenceIsSplit(CellKind cell)
    {
        var probe = new RecurrentProbe(new RecurrentOptions(cell, InputSize: 3, HiddenSize: 5), Steps, Batch, seed: 5);
        var recorder = new StateGradientRecorder();
        probe.Stack.StateGradients = recorder;
        probe.Gradients();
        Assert.True(recorder.Norms.HasShape(1, Steps, Batch));
        var recorded = recorder.Norms.Clone();
        probe.Stack.StateGradients = null;

        int H = probe.Stack.Options.HiddenSize;
        for (int t = 0; t < Steps; t++)
        {
            var total = TotalStateGradient(probe, t); // [B, H]
            for (int b = 0; b < Batch; b++)
            {
                double norm = 0;
                for (int j = 0; j < H; j++) norm += (double)total[b * H + j] * total[b * H + j];
                Numerics.Close(Math.Sqrt(norm), recorded[0, t, b], 1e-4, 1e-6, $"‖dL/dh_{t}‖ of row {b}");
            }
            Numerics.Close(Enumerable.Range(0, Batch).Average(b => (double)recorded[0, t, b]), recorder.MeanOverBatch(t), 1e-6, 1e-9, $"mean at step {t}");
        }
    }

    [Fact]
    public void TheSplitGradientAgreesWithCentralDifferences()
    {
        // The reference above rests on the initial-state gradient; check that one numerically at a middle step too.
        var probe = new RecurrentProbe(new RecurrentOptions(CellKind.Lstm, InputSize: 3, HiddenSize: 5), Steps, Batch, seed: 9);
        int t = 3;
        var (head, tail) = Split(probe, t);
        var (tailLoss, tailGradient) = TailLossAndInitialGradient(probe, tail, head);
        var (worst, index, numeric, analytic) = GradientCheck.Compare(() => tailLoss(), head.H.Data, tailGradient, 4e-3f, 3e-3, 2e-2);
        Assert.True(worst <= 1, $"h_{t}[{index}]: numeric {numeric:G6}, analytic {analytic:G6}");
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void TheReverseDirectionRecordsWhatAForwardStackRecordsOnTheReversedSequence(CellKind cell)
    {
        var probe = new RecurrentProbe(new RecurrentOptions(cell, InputSize: 3, HiddenSize: 4, Bidirectional: true), Steps, Batch, seed: 11);
        var recorder = new StateGradientRecorder();
        probe.Stack.StateGradients = recorder;
        probe.Gradients();
        Assert.True(recorder.Norms.HasShape(2, Steps, Batch));

        // A forward stack with the reverse direction's weights, run on the sequence backwards with the reverse half of the probe.
        var forward = new RecurrentStack(new RecurrentOptions(cell, InputSize: 3, HiddenSize: 4), new Rng(1));
        var reverseWeights = probe.Stack.Parameters().Where(p => p.Name.EndsWith("_reverse")).ToDictionary(p => p.Name.Replace("_reverse", ""));
        foreach (var p in forward.Parameters()) { reverseWeights[p.Name].Value.Data.CopyTo(p.Value.Data, 0); p.MarkChanged(); }
        int H = 4, In = 3;
        var x = new Tensor(Steps, Batch, In);
        var dy = new Tensor(Steps, Batch, H);
        for (int t = 0; t < Steps; t++)
            for (int b = 0; b < Batch; b++)
            {
                probe.X.Data.AsSpan(((Steps - 1 - t) * Batch + b) * In, In).CopyTo(x.Data.AsSpan((t * Batch + b) * In, In));
                probe.Ry.Data.AsSpan(((Steps - 1 - t) * Batch + b) * 2 * H + H, H).CopyTo(dy.Data.AsSpan((t * Batch + b) * H, H));
            }
        RecurrentState Reverse(RecurrentState s) => new(new Tensor(s.H.Slice(1).ToArray(), 1, Batch, H), s.C is null ? null : new Tensor(s.C.Slice(1).ToArray(), 1, Batch, H));
        var forwardRecorder = new StateGradientRecorder();
        forward.StateGradients = forwardRecorder;
        forward.Forward(x, Reverse(probe.Initial!));
        forward.Backward(dy, Reverse(probe.RFinal));

        for (int t = 0; t < Steps; t++)
            for (int b = 0; b < Batch; b++)
                Numerics.Close(forwardRecorder.Norms[0, Steps - 1 - t, b], recorder.Norms[1, t, b], 1e-5, 1e-7, $"reverse direction, step {t}, row {b}");
        Assert.True(recorder.MeanOverBatch(0, layerDirection: 1) > 0);
    }

    [Fact]
    public void RecordingChangesNoGradient()
    {
        var probe = new RecurrentProbe(new RecurrentOptions(CellKind.Lstm, InputSize: 3, HiddenSize: 5, Layers: 2), Steps, Batch, seed: 4);
        probe.Gradients();
        var without = probe.Stack.Parameters().Select(p => p.Grad.Data.ToArray()).ToList();
        probe.Stack.StateGradients = new StateGradientRecorder();
        probe.Gradients();
        Assert.Equal(without, probe.Stack.Parameters().Select(p => p.Grad.Data.ToArray()));
        Assert.True(probe.Stack.StateGradients.Norms.HasShape(2, Steps, Batch));
    }

    [Fact]
    public void PaddedStepsAreNaNAndLeftOutOfTheMean()
    {
        var probe = new RecurrentProbe(new RecurrentOptions(CellKind.Gru, InputSize: 3, HiddenSize: 4), Steps, Batch, seed: 2, lengths: [7, 4, 2]);
        var recorder = new StateGradientRecorder();
        probe.Stack.StateGradients = recorder;
        probe.Gradients();
        Assert.True(float.IsNaN(recorder.Norms[0, 4, 1]) && float.IsNaN(recorder.Norms[0, 2, 2]));
        Assert.False(float.IsNaN(recorder.Norms[0, 3, 1]));
        Numerics.Close(recorder.Norms[0, 5, 0], recorder.MeanOverBatch(5), 1e-6, 0, "only row 0 is active at step 5");
    }

    // ∂L/∂h_t [B, H] of the probe loss: the direct term ry_t plus what flows back from steps after t (or from the final state).
    private static float[] TotalStateGradient(RecurrentProbe probe, int t)
    {
        int H = probe.Stack.Options.HiddenSize;
        var total = probe.Ry.Slice(t).ToArray();
        if (t == Steps - 1)
        {
            for (int i = 0; i < total.Length; i++) total[i] += probe.RFinal.H.Data[i];
            return total;
        }
        var (head, tail) = Split(probe, t);
        var (_, fromLater) = TailLossAndInitialGradient(probe, tail, head);
        for (int i = 0; i < total.Length; i++) total[i] += fromLater[i];
        return total;
    }

    // The head's final state (after step t) and the inputs of steps t+1..T−1.
    private static (RecurrentState Head, Tensor Tail) Split(RecurrentProbe probe, int t)
    {
        int In = probe.X.Dim(2), block = Batch * In;
        var headX = new Tensor(probe.X.Data[..((t + 1) * block)], t + 1, Batch, In);
        var tailX = new Tensor(probe.X.Data[((t + 1) * block)..], Steps - t - 1, Batch, In);
        var (_, final) = probe.Stack.Forward(headX, probe.Initial);
        return (new RecurrentState(final.H.Clone(), final.C?.Clone()), tailX);
    }

    // The part of the probe loss that the tail sees, as a function of its initial state, and its gradient there.
    private static (Func<double> Loss, float[] Gradient) TailLossAndInitialGradient(RecurrentProbe probe, Tensor tailX, RecurrentState start)
    {
        int first = Steps - tailX.Dim(0), width = probe.Ry.Length / Steps;
        var ry = new Tensor(probe.Ry.Data[(first * width)..], tailX.Dim(0), Batch, probe.Ry.Dim(2));
        double Loss()
        {
            var (y, final) = probe.Stack.Forward(tailX, start);
            return RecurrentProbe.Dot(y, ry) + RecurrentProbe.Dot(final.H, probe.RFinal.H) + (final.C is null ? 0 : RecurrentProbe.Dot(final.C, probe.RFinal.C!));
        }
        Loss();
        var gradients = probe.Stack.Backward(ry, probe.RFinal);
        return (Loss, gradients.Initial.H.Data.ToArray());
    }
}
