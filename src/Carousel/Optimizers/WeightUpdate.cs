using Carousel.Tensors;

namespace Carousel.Optimizers;

/// <summary>
/// One weight update, in one place for trainers (after each batch) and for online learners (during a sequence):
/// clip the global gradient norm (when the clip is positive), step the optimizer, zero the gradients.
/// </summary>
public sealed class WeightUpdate(Optimizer optimizer, Parameter[] parameters, float gradClip)
{
    public void Apply()
    {
        if (gradClip > 0) GradientClipping.ClipByGlobalNorm(parameters, gradClip);
        optimizer.Step();
        optimizer.ZeroGrad();
    }
}
