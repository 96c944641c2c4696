using Carousel.Tensors;

namespace Carousel.Layers.Recurrent;

/// <summary>
/// A diagnostic for <see cref="RecurrentStack.StateGradients"/>: during Backward the stack writes here the L2 norm of
/// the total gradient reaching each hidden state, ‖∂L/∂h_t‖ (from the output at step t and from all later steps),
/// per layer, direction, step and batch row. This is what vanishes or explodes with the time lag in a vanilla RNN.
/// The buffer is reused from one Backward to the next while the shape stays the same.
/// </summary>
public sealed class StateGradientRecorder
{
    /// <summary>
    /// [L·D, T, B]: the norm for layer k, direction d (index k·D + d), time step t (the sequence's own order for
    /// both directions) and batch row b; NaN at padded steps. Empty until the first Backward.
    /// </summary>
    public Tensor Norms { get; private set; } = new(0, 0, 0);

    /// <summary>The [T, B] block of one layer and direction, ready to be written by Backward.</summary>
    internal Memory<float> Prepare(int layerDirections, int steps, int batch, int index)
    {
        if (!Norms.HasShape(layerDirections, steps, batch)) Norms = new Tensor(layerDirections, steps, batch);
        return Norms.Data.AsMemory(index * steps * batch, steps * batch);
    }

    /// <summary>
    /// Mean over the batch rows of ‖∂L/∂h_t‖ at step t of layer k, direction d (<paramref name="layerDirection"/> = k·D + d);
    /// padded rows are left out, NaN when all are.
    /// </summary>
    public double MeanOverBatch(int step, int layerDirection = 0)
    {
        int steps = Norms.Dim(1), batch = Norms.Dim(2);
        var block = Norms.Data.AsSpan((layerDirection * steps + step) * batch, batch);
        double sum = 0;
        int count = 0;
        foreach (float v in block)
            if (!float.IsNaN(v)) { sum += v; count++; }
        return count > 0 ? sum / count : double.NaN;
    }
}
