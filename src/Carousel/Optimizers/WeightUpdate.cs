using Carousel.Tensors;

namespace Carousel.Optimizers;

/// <summary>
/// One weight update, in one place for trainers (after each batch) and for online learners (during a sequence):
/// clip the global gradient norm (when the clip is positive), step the optimizer, zero the gradients.
/// </summary>
/// <param name="optimizer">The optimizer to step.</param>
/// <param name="parameters">The parameters whose gradients are clipped together (normally the optimizer's).</param>
/// <param name="gradClip">The largest global L2 norm of the gradients; 0 or less for no clipping.</param>
public sealed class WeightUpdate(Optimizer optimizer, Parameter[] parameters, float gradClip)
{
    /// <summary>Clips the gradients, updates the weights from them, then sets the gradients to zero.</summary>
    public void Apply()
    {
        if (gradClip > 0) GradientClipping.ClipByGlobalNorm(parameters, gradClip);
        optimizer.Step();
        optimizer.ZeroGrad();
    }
}
