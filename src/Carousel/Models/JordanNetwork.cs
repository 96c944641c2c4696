using Carousel.Tensors;

namespace Carousel.Models;

/// <summary>
/// The Jordan network (Jordan 1986): the previous step's output, not the hidden state, is fed back to the hidden layer —
/// h_t = tanh(W x_t + U y_{t−1} + b_h), o_t = V h_t + c, y_t = act(o_t). It is the <see cref="NarxNetwork"/> with no input
/// delays and one output delay, and is built as one (same parameters, names, forward and backward).
/// </summary>
public static class JordanNetwork
{
    /// <summary>The NARX options of a Jordan network: <see cref="NarxOptions.InputDelays"/> 0, <see cref="NarxOptions.OutputDelays"/> 1.</summary>
    public static NarxOptions Options(int inputSize, int hiddenSize, int outputSize, OutputActivation feedback = OutputActivation.Identity) =>
        new(inputSize, hiddenSize, outputSize, InputDelays: 0, OutputDelays: 1, feedback);

    /// <summary>A Jordan network of the given sizes, its weights drawn from <paramref name="rng"/>.</summary>
    public static NarxNetwork Create(int inputSize, int hiddenSize, int outputSize, Rng rng, OutputActivation feedback = OutputActivation.Identity) =>
        new(Options(inputSize, hiddenSize, outputSize, feedback), rng);
}
