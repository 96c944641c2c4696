using Carousel.Tensors;

namespace Carousel.Optimizers;

/// <summary>
/// The optimizer a training run names, with its numbers; <see cref="Create"/> is the one factory every trainer
/// uses, so an optimizer name means the same update rule whatever the model.
/// </summary>
/// <param name="Name">sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw (see <see cref="Names"/>).</param>
/// <param name="LearningRate">The base learning rate (before any schedule).</param>
/// <param name="Momentum">Used by momentum and nesterov only.</param>
/// <param name="WeightDecay">L2 penalty (decoupled for adamw, where 0 means PyTorch's default 0.01).</param>
public sealed record OptimizerSettings(string Name, float LearningRate, float Momentum = 0.9f, float WeightDecay = 0f)
{
    /// <summary>The optimizer names <see cref="Create"/> knows, as the options' error messages list them.</summary>
    public const string Names = "sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw";

    /// <summary>Whether <paramref name="name"/> is one of the optimizer names in <see cref="Names"/>.</summary>
    public static bool IsKnown(string name) =>
        name is "sgd" or "momentum" or "nesterov" or "adagrad" or "rmsprop" or "adam" or "adamw";

    /// <summary>A new optimizer of the named kind over <paramref name="parameters"/>, with these numbers and otherwise PyTorch's defaults.</summary>
    public Optimizer Create(IReadOnlyList<(string Name, Parameter Parameter)> parameters) => Name switch
    {
        "sgd" => new Sgd(parameters, LearningRate, weightDecay: WeightDecay),
        "momentum" => new Sgd(parameters, LearningRate, Momentum, weightDecay: WeightDecay),
        "nesterov" => new Sgd(parameters, LearningRate, Momentum, weightDecay: WeightDecay, nesterov: true),
        "adagrad" => new Adagrad(parameters, LearningRate, weightDecay: WeightDecay),
        "rmsprop" => new RmsProp(parameters, LearningRate, alpha: 0.95f, weightDecay: WeightDecay), // char-rnn's decay rate
        "adam" => new Adam(parameters, LearningRate, weightDecay: WeightDecay),
        "adamw" => new Adam(parameters, LearningRate, weightDecay: WeightDecay == 0 ? 0.01f : WeightDecay, decoupled: true),
        _ => throw new ArgumentException($"Unknown optimizer '{Name}'."),
    };
}
