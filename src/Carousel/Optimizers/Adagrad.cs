using Carousel.Tensors;

namespace Carousel.Optimizers;

/// <summary>
/// Adagrad as PyTorch's torch.optim.Adagrad: clr = lr / (1 + (step − 1)·lr_decay); g = grad + wd·p;
/// sum += g²; p −= clr · g / (√sum + eps).
/// </summary>
public sealed class Adagrad : Optimizer
{
    /// <summary>How fast the step size falls with the step count: lr / (1 + (step − 1)·decay); 0 keeps it fixed.</summary>
    public float LearningRateDecay { get; }

    /// <summary>L2 penalty: wd·p is added to each gradient before the update.</summary>
    public float WeightDecay { get; }

    /// <summary>The starting value of every element's running sum of squared gradients.</summary>
    public float InitialAccumulator { get; }

    /// <summary>Added to the denominator so that steps stay finite where gradients are near zero (default 1e-10).</summary>
    public float Epsilon { get; }

    /// <summary>Adagrad over <paramref name="parameters"/> with PyTorch's defaults.</summary>
    public Adagrad(IEnumerable<(string Name, Parameter Parameter)> parameters, float learningRate = 0.01f,
        float learningRateDecay = 0f, float weightDecay = 0f, float initialAccumulator = 0f, float epsilon = 1e-10f)
        : base(parameters, learningRate)
    {
        Require(learningRateDecay >= 0f && weightDecay >= 0f && initialAccumulator >= 0f && epsilon >= 0f, "Adagrad settings must be ≥ 0.");
        LearningRateDecay = learningRateDecay; WeightDecay = weightDecay; InitialAccumulator = initialAccumulator; Epsilon = epsilon;
    }

    /// <inheritdoc/>
    protected override void Update(string name, Span<float> value, ReadOnlySpan<float> grad)
    {
        bool first = !HasState("sum", name);
        var sum = StateBuffer("sum", name, value.Length);
        if (first) sum.Fill(InitialAccumulator);
        float clr = LearningRate / (1f + (StepCount - 1) * LearningRateDecay);
        for (int i = 0; i < value.Length; i++)
        {
            float g = grad[i] + WeightDecay * value[i];
            sum[i] += g * g;
            value[i] -= clr * g / (MathF.Sqrt(sum[i]) + Epsilon);
        }
    }
}
