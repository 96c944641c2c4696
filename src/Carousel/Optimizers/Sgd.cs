using Carousel.Tensors;

namespace Carousel.Optimizers;

/// <summary>
/// Stochastic gradient descent as PyTorch's torch.optim.SGD: g = grad + wd·p; with momentum μ,
/// buf = g on the first step, then buf = μ·buf + (1 − dampening)·g; Nesterov uses g + μ·buf; p −= lr·(that).
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>μ, the share of the previous update kept in the momentum buffer (0 for plain SGD).</summary>
    public float Momentum { get; }

    /// <summary>The share of the new gradient left out of the momentum buffer (PyTorch's dampening; 0 by default).</summary>
    public float Dampening { get; }

    /// <summary>L2 penalty: wd·p is added to each gradient before the update.</summary>
    public float WeightDecay { get; }

    /// <summary>Whether the step uses Nesterov momentum, g + μ·buf, rather than buf.</summary>
    public bool Nesterov { get; }

    /// <summary>How μ changes with the step (<see cref="MomentumSchedule"/>); constant <see cref="Momentum"/> by default.</summary>
    public MomentumSchedule Schedule { get; }

    /// <summary>SGD over <paramref name="parameters"/> with PyTorch's defaults (no momentum, no decay).</summary>
    /// <param name="parameters">The parameters updated.</param>
    /// <param name="learningRate">The step size.</param>
    /// <param name="momentum">μ (with a schedule: any value &gt; 0 turns momentum on; the schedule gives μ).</param>
    /// <param name="dampening">PyTorch's dampening.</param>
    /// <param name="weightDecay">L2 penalty.</param>
    /// <param name="nesterov">Nesterov momentum.</param>
    /// <param name="schedule">A momentum schedule (Sutskever et al. 2013), or null for constant μ.</param>
    public Sgd(IEnumerable<(string Name, Parameter Parameter)> parameters, float learningRate,
        float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false, MomentumSchedule? schedule = null)
        : base(parameters, learningRate)
    {
        Schedule = schedule ?? new MomentumSchedule();
        Require(momentum >= 0f, $"Momentum must be ≥ 0, got {momentum}.");
        Require(weightDecay >= 0f, $"Weight decay must be ≥ 0, got {weightDecay}.");
        Require(!nesterov || (momentum > 0f && dampening == 0f), "Nesterov momentum needs momentum > 0 and no dampening.");
        Momentum = momentum; Dampening = dampening; WeightDecay = weightDecay; Nesterov = nesterov;
    }

    /// <inheritdoc/>
    protected override void Update(string name, Span<float> value, ReadOnlySpan<float> grad)
    {
        bool first = !HasState("momentum_buffer", name);
        var buffer = Momentum != 0f ? StateBuffer("momentum_buffer", name, value.Length) : default;
        float lr = LearningRate, mu = Schedule.At(StepCount - 1, Momentum);
        for (int i = 0; i < value.Length; i++)
        {
            float g = grad[i] + WeightDecay * value[i];
            if (Momentum != 0f)
            {
                buffer[i] = first ? g : mu * buffer[i] + (1f - Dampening) * g;
                g = Nesterov ? g + mu * buffer[i] : buffer[i];
            }
            value[i] -= lr * g;
        }
    }
}
