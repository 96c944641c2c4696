using System.Numerics.Tensors;
using Carousel.Tensors;

namespace Carousel.Optimizers;

/// <summary>Gradient clipping as PyTorch's clip_grad_norm_ and clip_grad_value_.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales all gradients by min(1, maxNorm / (‖g‖ + 1e−6)), ‖g‖ the L2 norm over every parameter.
    /// Returns the norm before clipping.
    /// </summary>
    public static double ClipByGlobalNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        if (!(maxNorm > 0)) throw new ArgumentException($"Clipping norm must be positive, got {maxNorm}.");
        var list = parameters as IReadOnlyCollection<Parameter> ?? parameters.ToList();
        double total = GlobalNorm(list);
        double coefficient = maxNorm / (total + 1e-6);
        if (coefficient < 1.0)
            foreach (var p in list) TensorPrimitives.Multiply(p.Grad.Data, (float)coefficient, p.Grad.Data);
        return total;
    }

    /// <summary>The L2 norm of all gradients together (accumulated in double).</summary>
    public static double GlobalNorm(IEnumerable<Parameter> parameters)
    {
        double sumSquares = 0;
        foreach (var p in parameters)
        {
            double norm = TensorPrimitives.Norm(p.Grad.Data);
            sumSquares += norm * norm;
        }
        return Math.Sqrt(sumSquares);
    }

    /// <summary>Clamps every gradient element into [−clip, clip].</summary>
    public static void ClipByValue(IEnumerable<Parameter> parameters, float clip)
    {
        if (!(clip > 0)) throw new ArgumentException($"Clipping value must be positive, got {clip}.");
        foreach (var p in parameters) TensorPrimitives.Clamp(p.Grad.Data, -clip, clip, p.Grad.Data);
    }
}
