using Carousel.Tensors;

namespace Carousel.Optimizers;

/// <summary>
/// Stochastic gradient descent as PyTorch's torch.optim.SGD: g = grad + wd·p; with momentum μ,
/// buf = g on the first step, then buf = μ·buf + (1 − dampening)·g; Nesterov uses g + μ·buf; p −= lr·(that).
/// </summary>
public sealed class Sgd : Optimizer
{
    public float Momentum { get; }
    public float Dampening { get; }
    public float WeightDecay { get; }
    public bool Nesterov { get; }

    public Sgd(IEnumerable<(string Name, Parameter Parameter)> parameters, float learningRate,
        float momentum = 0f, float dampening = 0f, float weightDecay = 0f, bool nesterov = false)
        : base(parameters, learningRate)
    {
        Require(momentum >= 0f, $"Momentum must be ≥ 0, got {momentum}.");
        Require(weightDecay >= 0f, $"Weight decay must be ≥ 0, got {weightDecay}.");
        Require(!nesterov || (momentum > 0f && dampening == 0f), "Nesterov momentum needs momentum > 0 and no dampening.");
        Momentum = momentum; Dampening = dampening; WeightDecay = weightDecay; Nesterov = nesterov;
    }

    protected override void Update(string name, Span<float> value, ReadOnlySpan<float> grad)
    {
        bool first = !HasState("momentum_buffer", name);
        var buffer = Momentum != 0f ? StateBuffer("momentum_buffer", name, value.Length) : default;
        float lr = LearningRate;
        for (int i = 0; i < value.Length; i++)
        {
            float g = grad[i] + WeightDecay * value[i];
            if (Momentum != 0f)
            {
                buffer[i] = first ? g : Momentum * buffer[i] + (1f - Dampening) * g;
                g = Nesterov ? g + Momentum * buffer[i] : buffer[i];
            }
            value[i] -= lr * g;
        }
    }
}
