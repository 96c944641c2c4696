namespace Carousel.Models;

/// <summary>
/// What a model with output feedback (<see cref="NarxNetwork"/>) applies to its output layer before feeding the output
/// back: the value its loss reads the logits as, so that a fed-back output and a target (teacher forcing) mean the same.
/// </summary>
public enum OutputActivation
{
    /// <summary>y = o: regression outputs under squared error.</summary>
    Identity,
    /// <summary>y = σ(o): independent probabilities under sigmoid cross-entropy (sets of legal next symbols).</summary>
    Sigmoid,
    /// <summary>y = softmax(o) over the K outputs of a step: class probabilities under softmax cross-entropy.</summary>
    Softmax,
    /// <summary>y = tanh(o): outputs in (−1, 1).</summary>
    Tanh,
}
