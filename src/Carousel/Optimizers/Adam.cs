using Carousel.Tensors;

namespace Carousel.Optimizers;

/// <summary>
/// Adam as PyTorch's torch.optim.Adam, and AdamW (decoupled weight decay) when <see cref="Decoupled"/>:
/// m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²; p −= lr/(1 − β1ᵗ) · m / (√v/√(1 − β2ᵗ) + eps).
/// Adam adds wd·p to g; AdamW multiplies p by (1 − lr·wd) first.
/// </summary>
public sealed class Adam : Optimizer
{
    /// <summary>β1, the decay rate of the running mean of gradients (default 0.9).</summary>
    public float Beta1 { get; }

    /// <summary>β2, the decay rate of the running mean of squared gradients (default 0.999).</summary>
    public float Beta2 { get; }

    /// <summary>Added to the denominator so that steps stay finite where gradients are near zero (default 1e-8).</summary>
    public float Epsilon { get; }

    /// <summary>The weight decay rate: an L2 term for Adam, a direct shrink of the weights for AdamW.</summary>
    public float WeightDecay { get; }

    /// <summary>Whether weight decay is decoupled from the gradient (AdamW) rather than added to it (Adam).</summary>
    public bool Decoupled { get; }

    /// <summary>Adam over <paramref name="parameters"/> with PyTorch's defaults; AdamW when <paramref name="decoupled"/>.</summary>
    public Adam(IEnumerable<(string Name, Parameter Parameter)> parameters, float learningRate = 1e-3f,
        float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f, bool decoupled = false)
        : base(parameters, learningRate)
    {
        Require(beta1 >= 0f && beta1 < 1f && beta2 >= 0f && beta2 < 1f, $"Adam betas must be in [0, 1), got {beta1}, {beta2}.");
        Require(epsilon >= 0f && weightDecay >= 0f, "Adam eps and weight decay must be ≥ 0.");
        Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; WeightDecay = weightDecay; Decoupled = decoupled;
    }

    /// <summary>AdamW with PyTorch's default weight decay of 0.01.</summary>
    public static Adam W(IEnumerable<(string Name, Parameter Parameter)> parameters, float learningRate = 1e-3f, float weightDecay = 0.01f) =>
        new(parameters, learningRate, weightDecay: weightDecay, decoupled: true);

    /// <inheritdoc/>
    protected override void Update(string name, Span<float> value, ReadOnlySpan<float> grad)
    {
        var m = StateBuffer("exp_avg", name, value.Length);
        var v = StateBuffer("exp_avg_sq", name, value.Length);
        float lr = LearningRate, b1 = Beta1, b2 = Beta2;
        double t = StepCount;
        float biasCorrection1 = (float)(1.0 - Math.Pow(b1, t));
        float biasCorrection2Sqrt = (float)Math.Sqrt(1.0 - Math.Pow(b2, t));
        float stepSize = lr / biasCorrection1;
        float decay = Decoupled ? 1f - lr * WeightDecay : 1f;
        float coupledDecay = Decoupled ? 0f : WeightDecay;
        for (int i = 0; i < value.Length; i++)
        {
            float p = value[i] * decay;
            float g = grad[i] + coupledDecay * p;
            m[i] = b1 * m[i] + (1f - b1) * g;
            v[i] = b2 * v[i] + (1f - b2) * g * g;
            float denominator = MathF.Sqrt(v[i]) / biasCorrection2Sqrt + Epsilon;
            value[i] = p - stepSize * m[i] / denominator;
        }
    }
}
