using Carousel.Tensors;

namespace Carousel.Optimizers;

/// <summary>
/// RMSProp as PyTorch's torch.optim.RMSprop: g = grad + wd·p; v = α·v + (1 − α)·g²;
/// centered: m = α·m + (1 − α)·g, avg = √(v − m²) + eps, else avg = √v + eps;
/// with momentum μ: buf = μ·buf + g/avg, p −= lr·buf; without: p −= lr·g/avg.
/// </summary>
public sealed class RmsProp : Optimizer
{
    public float Alpha { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }
    public float Momentum { get; }
    public bool Centered { get; }

    public RmsProp(IEnumerable<(string Name, Parameter Parameter)> parameters, float learningRate = 0.01f,
        float alpha = 0.99f, float epsilon = 1e-8f, float weightDecay = 0f, float momentum = 0f, bool centered = false)
        : base(parameters, learningRate)
    {
        Require(alpha >= 0f && epsilon >= 0f && weightDecay >= 0f && momentum >= 0f, "RMSProp settings must be ≥ 0.");
        Alpha = alpha; Epsilon = epsilon; WeightDecay = weightDecay; Momentum = momentum; Centered = centered;
    }

    protected override void Update(string name, Span<float> value, ReadOnlySpan<float> grad)
    {
        var squareAverage = StateBuffer("square_avg", name, value.Length);
        var gradAverage = Centered ? StateBuffer("grad_avg", name, value.Length) : default;
        var buffer = Momentum > 0f ? StateBuffer("momentum_buffer", name, value.Length) : default;
        float lr = LearningRate, a = Alpha;
        for (int i = 0; i < value.Length; i++)
        {
            float g = grad[i] + WeightDecay * value[i];
            squareAverage[i] = a * squareAverage[i] + (1f - a) * g * g;
            float avg;
            if (Centered)
            {
                gradAverage[i] = a * gradAverage[i] + (1f - a) * g;
                avg = MathF.Sqrt(squareAverage[i] - gradAverage[i] * gradAverage[i]) + Epsilon;
            }
            else avg = MathF.Sqrt(squareAverage[i]) + Epsilon;
            if (Momentum > 0f)
            {
                buffer[i] = Momentum * buffer[i] + g / avg;
                value[i] -= lr * buffer[i];
            }
            else value[i] -= lr * g / avg;
        }
    }
}
