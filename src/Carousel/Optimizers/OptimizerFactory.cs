using Carousel.Tensors;

namespace Carousel.Optimizers;

/// <summary>The optimizers by their command-line names, so every trainer offers the same choice.</summary>
public static class OptimizerFactory
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static readonly string[] Names = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"];

    public static bool IsKnown(string name) => Array.IndexOf(Names, name) >= 0;

    /// <summary>The message for a name that is not one of <see cref="Names"/>.</summary>
    public static string UnknownMessage(string name) => $"Unknown --optimizer '{name}': expected {string.Join(", ", Names[..^1])} or {Names[^1]}.";

    /// <param name="weightDecay">L2 weight decay; for adamw the decoupled decay, where 0 means PyTorch's default 0.01.</param>
    public static Optimizer Create(string name, IReadOnlyList<(string Name, Parameter Parameter)> parameters, float learningRate,
        float momentum = 0.9f, float weightDecay = 0f) => name switch
    {
        "sgd" => new Sgd(parameters, learningRate, weightDecay: weightDecay),
        "momentum" => new Sgd(parameters, learningRate, momentum, weightDecay: weightDecay),
        "nesterov" => new Sgd(parameters, learningRate, momentum, weightDecay: weightDecay, nesterov: true),
        "adagrad" => new Adagrad(parameters, learningRate, weightDecay: weightDecay),
        "rmsprop" => new RmsProp(parameters, learningRate, alpha: 0.95f, weightDecay: weightDecay), // char-rnn's decay rate
        "adam" => new Adam(parameters, learningRate, weightDecay: weightDecay),
        "adamw" => new Adam(parameters, learningRate, weightDecay: weightDecay == 0 ? 0.01f : weightDecay, decoupled: true),
        _ => throw new ArgumentException(UnknownMessage(name)),
    };
}
