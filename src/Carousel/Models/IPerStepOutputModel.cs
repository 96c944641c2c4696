using Carousel.Layers;
using Carousel.Tensors;

namespace Carousel.Models;

/// <summary>
/// A model that reads features [T, B, F] and gives K outputs (logits) at every step [T, B, K], trained by backward from
/// the gradient of those outputs: what the long-lag task trainer trains. <see cref="SequenceTagger"/> (a recurrent stack
/// with a linear head) and <see cref="NarxNetwork"/> (output fed back) are two.
/// </summary>
public interface IPerStepOutputModel : IModule
{
    /// <summary>K: the outputs of each step.</summary>
    int OutputCount { get; }

    /// <summary>x [T, B, F] with lengths [B] → outputs [T, B, K] (those after a sequence's end mean nothing; owned by the model until the next Forward).</summary>
    Tensor Forward(Tensor x, int[]? lengths);

    /// <summary>dOutputs [T, B, K] of the last Forward → adds every parameter's gradient.</summary>
    void Backward(ReadOnlySpan<float> dOutputs);
}
