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
/// <param name="MomentumSchedule">How momentum and nesterov change μ with the step; null: constant <paramref name="Momentum"/>.</param>
public sealed record OptimizerSettings(string Name, float LearningRate, float Momentum = 0.9f, float WeightDecay = 0f, MomentumSchedule? MomentumSchedule = null)
{
    /// <summary>The optimizer names <see cref="Create"/> knows, as the options' error messages list them.</summary>
    public const string Names = "sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw";

    /// <summary>Whether <paramref name="name"/> is one of the optimizer names in <see cref="Names"/>.</summary>
    public static bool IsKnown(string name) =>
        name is "sgd" or "momentum" or "nesterov" or "adagrad" or "rmsprop" or "adam" or "adamw";

    /// <summary>
    /// Refuses what cannot be meant with a <see cref="SettingException"/> that names the settings as the training options
    /// do (<see cref="Name"/> is their Optimizer).
    /// </summary>
    public void Validate()
    {
        SettingException.Require(IsKnown(Name), "Optimizer", $"Unknown Optimizer '{Name}': expected {Names}.");
        SettingException.Require(LearningRate > 0 && float.IsFinite(LearningRate), "LearningRate", $"LearningRate must be positive, got {LearningRate}.");
        SettingException.Require(Momentum >= 0 && float.IsFinite(Momentum), "Momentum", $"Momentum must be ≥ 0, got {Momentum}.");
        SettingException.Require(WeightDecay >= 0 && float.IsFinite(WeightDecay), "WeightDecay", $"WeightDecay must be ≥ 0, got {WeightDecay}.");
        SettingException.Require(Name != "nesterov" || Momentum > 0, "Momentum", $"Optimizer nesterov needs Momentum > 0, got {Momentum}.", "Optimizer");
        MomentumSchedule?.Validate();
        SettingException.Require(MomentumSchedule is not { IsScheduled: true } || Name is "momentum" or "nesterov", "MomentumSchedule",
            $"MomentumSchedule {MomentumSchedule?.Name} needs Optimizer momentum or nesterov, not {Name}.", "Optimizer");
    }

    /// <summary>The state the optimizer keeps per weight, in floats (adam: 2, the running means; momentum, adagrad, rmsprop: 1; sgd: 0).</summary>
    public int StatePerWeight => Name switch
    {
        "adam" or "adamw" => 2,
        "momentum" or "nesterov" or "adagrad" or "rmsprop" => 1,
        _ => 0,
    };

    /// <summary>The optimizer, after <see cref="Validate"/>.</summary>
    public Optimizer Create(IReadOnlyList<(string Name, Parameter Parameter)> parameters)
    {
        Validate();
        return Build(parameters);
    }

    private Optimizer Build(IReadOnlyList<(string Name, Parameter Parameter)> parameters) => Name switch
    {
        "sgd" => new Sgd(parameters, LearningRate, weightDecay: WeightDecay),
        "momentum" => new Sgd(parameters, LearningRate, Momentum, weightDecay: WeightDecay, schedule: MomentumSchedule),
        "nesterov" => new Sgd(parameters, LearningRate, Momentum, weightDecay: WeightDecay, nesterov: true, schedule: MomentumSchedule),
        "adagrad" => new Adagrad(parameters, LearningRate, weightDecay: WeightDecay),
        "rmsprop" => new RmsProp(parameters, LearningRate, alpha: 0.95f, weightDecay: WeightDecay), // char-rnn's decay rate
        "adam" => new Adam(parameters, LearningRate, weightDecay: WeightDecay),
        "adamw" => new Adam(parameters, LearningRate, weightDecay: WeightDecay == 0 ? 0.01f : WeightDecay, decoupled: true),
        _ => throw new ArgumentException($"Unknown optimizer '{Name}'."),
    };
}
