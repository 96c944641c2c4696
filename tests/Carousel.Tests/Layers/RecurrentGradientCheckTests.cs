using Carousel.Diagnostics;
using Carousel.Layers.Recurrent;

namespace Carousel.Tests.Layers;

/// <summary>Backward against central differences, for every cell, stacked, bidirectional, learned initial state and padding.
/// Every parameter is checked, the peephole LSTM's cell-to-gate weights included, and the input and initial states.</summary>
public class RecurrentGradientCheckTests
{
    // Float32 central differences: the step balances truncation and rounding; the tolerance still
    // catches a wrong sign or a missing term, which move a gradient by far more than 1e−2 relative.
    private const float Epsilon = 4e-3f;
    private const double AbsoluteTolerance = 3e-3, RelativeTolerance = 2e-2;

    public static TheoryData<CellKind, int, bool, bool, bool, int> Cases()
    {
        var data = new TheoryData<CellKind, int, bool, bool, bool, int>();
        foreach (var cell in new[] { CellKind.RnnTanh, CellKind.RnnRelu, CellKind.Lstm, CellKind.Gru, CellKind.LstmNoForgetGate, CellKind.LstmPeephole })
        {
            data.Add(cell, 1, false, false, false, 4);
            // Wide enough for the vectorised kernels, with a scalar tail (ReLU has none, and more units mean more kinks).
            if (cell != CellKind.RnnRelu) data.Add(cell, 1, false, false, false, 19);
            data.Add(cell, 2, true, false, false, 4);   // stacked, bidirectional
            data.Add(cell, 2, false, true, false, 4);   // learned initial state
            data.Add(cell, 2, true, false, true, 4);    // padded lengths, both directions
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardMatchesCentralDifferences(CellKind cell, int layers, bool bidirectional, bool learnedInitial, bool padded, int hidden)
    {
        var options = new RecurrentOptions(cell, InputSize: 3, HiddenSize: hidden, layers, bidirectional,
            InitialState: learnedInitial ? InitialStateMode.Learned : InitialStateMode.Zero);
        int[]? lengths = padded ? [5, 2, 4] : null;
        var probe = new RecurrentProbe(options, steps: 5, batch: 3, seed: 17, givenInitialState: !learnedInitial, lengths);
        if (learnedInitial)
            foreach (var p in probe.Stack.Parameters().Where(p => p.Name.StartsWith("initial_")))
                for (int i = 0; i < p.Value.Length; i++) p.Value.Data[i] = 0.3f * (i % 3 - 1);

        var gradients = probe.Gradients();

        foreach (var p in probe.Stack.Parameters())
            AssertClose(probe, p.Value.Data, p.Grad.Data, p.Name);
        AssertClose(probe, probe.X.Data, gradients.Input.Data, "x");
        if (probe.Initial is not null)
        {
            AssertClose(probe, probe.Initial.H.Data, gradients.Initial.H.Data, "h0");
            if (probe.Initial.C is not null) AssertClose(probe, probe.Initial.C.Data, gradients.Initial.C!.Data, "c0");
        }
    }

    private static void AssertClose(RecurrentProbe probe, float[] values, float[] analytic, string name)
    {
        // ReLU has a kink at 0: a smaller step makes it unlikely that a perturbation crosses it.
        float epsilon = probe.Stack.Options.Cell == CellKind.RnnRelu ? Epsilon / 8 : Epsilon;
        var (worst, index, numeric, ana) = GradientCheck.Compare(probe.Loss, values, analytic, epsilon, AbsoluteTolerance, RelativeTolerance);
        Assert.True(worst <= 1.0, $"{name}[{index}]: numeric {numeric:G6}, analytic {ana:G6} (ratio {worst:G3})");
    }
}
