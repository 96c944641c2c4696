using Carousel.Tensors;

namespace Carousel.Optimizers;

/// <summary>
/// RMSProp as PyTorch's torch.optim.RMSprop: g = grad + wd·p; v = α·v + (1 − α)·g²;
/// centered: m = α·m + (1 − α)·g, avg = √(v − m²) + eps, else avg = √v + eps;
/// with momentum μ: buf = μ·buf + g/avg, p −= lr·buf; without: p −= lr·g/avg.
/// </summary>
public sealed class RmsProp : Optimizer
{
    /// <summary>α, the decay rate of the running mean of squared gradients (PyTorch's default 0.99).</summary>
    public float Alpha { get; }

    /// <summary>Added to the denominator so that steps stay finite where gradients are near zero (default 1e-8).</summary>
    public float Epsilon { get; }

    /// <summary>L2 penalty: wd·p is added to each gradient before the update.</summary>
    public float WeightDecay { get; }

    /// <summary>μ, the share of the previous update kept in the momentum buffer (0 for none).</summary>
    public float Momentum { get; }

    /// <summary>Whether gradients are normalised by their estimated variance rather than their mean square.</summary>
    public bool Centered { get; }

    /// <summary>RMSProp over <paramref name="parameters"/> with PyTorch's defaults.</summary>
    public RmsProp(IEnumerable<(string Name, Parameter Parameter)> parameters, float learningRate = 0.01f,
        float alpha = 0.99f, float epsilon = 1e-8f, float weightDecay = 0f, float momentum = 0f, bool centered = false)
        : base(parameters, learningRate)
    {
        Require(alpha >= 0f && epsilon >= 0f && weightDecay >= 0f && momentum >= 0f, "RMSProp settings must be ≥ 0.");
        Alpha = alpha; Epsilon = epsilon; WeightDecay = weightDecay; Momentum = momentum; Centered = centered;
    }

    /// <inheritdoc/>
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
