using Carousel.Tensors;

namespace Carousel.Optimizers;

/// <summary>
/// Adagrad as PyTorch's torch.optim.Adagrad: clr = lr / (1 + (step − 1)·lr_decay); g = grad + wd·p;
/// sum += g²; p −= clr · g / (√sum + eps).
/// </summary>
public sealed class Adagrad : Optimizer
{
    public float LearningRateDecay { get; }
    public float WeightDecay { get; }
    public float InitialAccumulator { get; }
    public float Epsilon { get; }

    public Adagrad(IEnumerable<(string Name, Parameter Parameter)> parameters, float learningRate = 0.01f,
        float learningRateDecay = 0f, float weightDecay = 0f, float initialAccumulator = 0f, float epsilon = 1e-10f)
        : base(parameters, learningRate)
    {
        Require(learningRateDecay >= 0f && weightDecay >= 0f && initialAccumulator >= 0f && epsilon >= 0f, "Adagrad settings must be ≥ 0.");
        LearningRateDecay = learningRateDecay; WeightDecay = weightDecay; InitialAccumulator = initialAccumulator; Epsilon = epsilon;
    }

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
