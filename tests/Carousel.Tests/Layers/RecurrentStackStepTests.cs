using Carousel.Layers.Recurrent;
using Carousel.Tensors;

namespace Carousel.Tests.Layers;

/// <summary>
/// The stepped forward and backward (BeginSteps, StepForward, StepBackward, EndStepBackward — what input feeding needs) are
/// the whole-sequence Forward and Backward taken a step at a time: the same outputs and the same gradients, padding included.
/// </summary>
public class RecurrentStackStepTests
{
    [Theory]
    [InlineData(CellKind.Lstm, 2)]
    [InlineData(CellKind.Gru, 1)]
    [InlineData(CellKind.RnnTanh, 3)]
    public void SteppedPassesEqualTheWholeSequencePasses(CellKind cell, int layers)
    {
        const int T = 5, B = 3, In = 4, H = 6;
        var stack = new RecurrentStack(new RecurrentOptions(cell, In, H, layers), new Rng(7));
        var rng = new Rng(8);
        var x = new Tensor(T, B, In);
        rng.FillUniform(x.Data, -1, 1);
        var dy = new Tensor(T, B, H);
        rng.FillUniform(dy.Data, -1, 1);
        var initial = stack.ZeroState(B);
        rng.FillUniform(initial.H.Data, -0.5f, 0.5f);
        if (initial.C is not null) rng.FillUniform(initial.C.Data, -0.5f, 0.5f);
        int[] lengths = [5, 2, 4];
        var parameters = stack.Parameters();

        parameters.ZeroGrad();
        var whole = stack.Forward(x, initial, lengths).Output.Data.ToArray();
        var gradients = stack.Backward(dy);
        var dxWhole = gradients.Input.Data.ToArray();
        var dInitialWhole = gradients.Initial.H.Data.ToArray();
        var gradWhole = parameters.Select(p => p.Grad.Data.ToArray()).ToList();

        parameters.ZeroGrad();
        var output = stack.BeginSteps(x, initial, lengths);
        for (int t = 0; t < T; t++) stack.StepForward(t);
        AllClose(whole, output.Data, 1e-6, 1e-6, "outputs");
        var dx = new float[T * B * In];
        stack.BeginStepBackward();
        for (int t = T - 1; t >= 0; t--) stack.StepBackward(t, dy, dx.AsSpan(t * B * In, B * In));
        var dInitial = stack.EndStepBackward();
        AllClose(dxWhole, dx, 1e-5, 1e-6, "input gradient");
        AllClose(dInitialWhole, dInitial.H.Data, 1e-5, 1e-6, "initial h gradient");
        for (int k = 0; k < parameters.Count; k++)
            AllClose(gradWhole[k], parameters[k].Grad.Data, 1e-5, 1e-6, parameters[k].Name);
        Assert.Contains(gradWhole, g => g.Any(v => v != 0));
    }

    private static void AllClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double relative, double absolute, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Numerics.Close(expected[i], actual[i], relative, absolute, $"{what}[{i}]");
    }
}
