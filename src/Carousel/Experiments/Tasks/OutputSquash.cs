namespace Carousel.Experiments.Tasks;

/// <summary>
/// The squashing function a task applies to the raw output before scoring it (see <see cref="SequenceTask.OutputSquash"/>):
/// the network's output unit is then that squashed value, as in the classic papers' nets whose output units are tanh or
/// logistic units.
/// </summary>
public enum OutputSquash
{
    /// <summary>The output is scored as it is (linear outputs, softmax logits).</summary>
    None,

    /// <summary>tanh(output): targets in (−1, 1).</summary>
    Tanh,

    /// <summary>σ(output) = 1 / (1 + e^(−output)): targets in (0, 1).</summary>
    Logistic,
}

/// <summary>Applying an <see cref="OutputSquash"/> and its derivative.</summary>
public static class OutputSquashes
{
    /// <summary>The squashed value of <paramref name="x"/>.</summary>
    public static float Apply(this OutputSquash squash, float x) => squash switch
    {
        OutputSquash.Tanh => MathF.Tanh(x),
        OutputSquash.Logistic => 1f / (1f + MathF.Exp(-x)),
        _ => x,
    };

    /// <summary>d squash / dx, given the squashed value <paramref name="y"/>.</summary>
    public static float DerivativeFromOutput(this OutputSquash squash, float y) => squash switch
    {
        OutputSquash.Tanh => 1f - y * y,
        OutputSquash.Logistic => y * (1f - y),
        _ => 1f,
    };
}
