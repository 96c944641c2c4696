using Carousel.Layers.Recurrent;
using Carousel.Tensors;

namespace Carousel.Tests.Layers;

/// <summary>
/// A recurrent stack with random inputs and the scalar probe loss of the golden files:
/// L = Σ y⊙ry + Σ h_n⊙rh (+ Σ c_n⊙rc), whose gradients are simply ry, rh, rc.
/// </summary>
internal sealed class RecurrentProbe
{
    public RecurrentStack Stack { get; }
    public Tensor X { get; }
    public RecurrentState? Initial { get; }
    public int[]? Lengths { get; }
    public Tensor Ry { get; }
    public RecurrentState RFinal { get; }

    public RecurrentProbe(RecurrentOptions options, int steps, int batch, int seed, bool givenInitialState = true, int[]? lengths = null)
    {
        var rng = new Rng((ulong)seed);
        Stack = new RecurrentStack(options, rng);
        // Larger weights than the default init so that every gate is away from its linear regime.
        foreach (var p in Stack.Parameters()) rng.FillUniform(p.Value.Data, -0.8f, 0.8f);
        X = Random(rng, steps, batch, options.InputSize);
        int n = options.Layers * options.Directions, H = options.HiddenSize;
        bool lstm = options.Cell.HasCellState();
        if (givenInitialState) Initial = new RecurrentState(Random(rng, n, batch, H), lstm ? Random(rng, n, batch, H) : null);
        Lengths = lengths;
        Ry = Random(rng, steps, batch, options.OutputSize);
        RFinal = new RecurrentState(Random(rng, n, batch, H), lstm ? Random(rng, n, batch, H) : null);
    }

    public static Tensor Random(Rng rng, params int[] shape)
    {
        var t = new Tensor(shape);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)rng.NextGaussian();
        return t;
    }

    public double Loss()
    {
        // Gradient checks write weights directly; tell the layers so they repack them.
        foreach (var p in Stack.Parameters()) p.MarkChanged();
        var (y, final) = Stack.Forward(X, Initial, Lengths);
        return Dot(y, Ry) + Dot(final.H, RFinal.H) + (final.C is null ? 0 : Dot(final.C, RFinal.C!));
    }

    /// <summary>Forward then backward with the probe's gradients; parameter gradients are zeroed first.</summary>
    public RecurrentGradients Gradients()
    {
        Stack.Parameters().ZeroGrad();
        Stack.Forward(X, Initial, Lengths);
        return Stack.Backward(Ry, RFinal);
    }

    public static double Dot(Tensor a, Tensor b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a.Data[i] * b.Data[i];
        return s;
    }
}
