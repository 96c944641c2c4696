namespace Carousel.Tensors;

/// <summary>
/// A trainable tensor and its gradient. <see cref="Name"/> is the PyTorch state_dict name relative to the
/// module that owns it (e.g. "weight_ih_l0"); models prefix it ("rnn.weight_ih_l0").
/// Backward passes add into <see cref="Grad"/>; zeroing is a separate step.
/// </summary>
public sealed class Parameter
{
    /// <summary>The PyTorch-style name within the owning module, e.g. "weight_ih_l0" or "bias".</summary>
    public string Name { get; }

    /// <summary>The values. Whoever writes them directly (not through an optimizer or StateDict) calls <see cref="MarkChanged"/> after.</summary>
    public Tensor Value { get; }

    /// <summary>The gradient of the loss with respect to <see cref="Value"/>, same shape; backward adds into it.</summary>
    public Tensor Grad { get; }

    /// <summary>Bumped whenever <see cref="Value"/> changes outside a layer (optimizer step, load), so that
    /// kernels holding a packed copy of the weights know to repack.</summary>
    public int Version { get; private set; }

    /// <summary>A parameter holding <paramref name="value"/> (kept, not copied) with a zero gradient of the same shape.</summary>
    /// <param name="name">The name within the owning module, e.g. "weight_hh_l0".</param>
    /// <param name="value">The initial values; the parameter keeps this tensor.</param>
    public Parameter(string name, Tensor value)
    {
        Name = name;
        Value = value;
        Grad = new Tensor(value.Shape);
    }

    /// <summary>Records that <see cref="Value"/> was written directly, so packed copies of it get rebuilt.</summary>
    public void MarkChanged() => Version++;

    /// <summary>Sets the gradient to zero, before the next backward pass adds into it.</summary>
    public void ZeroGrad() => Grad.Clear();

    /// <summary>The name and shape for debugging, e.g. "weight_ih_l0 Tensor[512, 65]".</summary>
    public override string ToString() => $"{Name} {Value}";
}

/// <summary>Operations on a whole collection of parameters, such as a model's.</summary>
public static class ParameterExtensions
{
    /// <summary>Sets the gradient of every parameter to zero.</summary>
    public static void ZeroGrad(this IEnumerable<Parameter> parameters)
    {
        foreach (var p in parameters) p.ZeroGrad();
    }

    /// <summary>The parameters with a prefix added to their names, for composing modules ("rnn." + "weight_ih_l0").</summary>
    public static IEnumerable<(string Name, Parameter Parameter)> Prefixed(this IEnumerable<Parameter> parameters, string prefix)
    {
        foreach (var p in parameters) yield return (prefix + p.Name, p);
    }
}
