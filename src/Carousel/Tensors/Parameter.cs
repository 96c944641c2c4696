namespace Carousel.Tensors;

/// <summary>
/// A trainable tensor and its gradient. <see cref="Name"/> is the PyTorch state_dict name relative to the
/// module that owns it (e.g. "weight_ih_l0"); models prefix it ("rnn.weight_ih_l0").
/// Backward passes add into <see cref="Grad"/>; zeroing is a separate step.
/// </summary>
public sealed class Parameter
{
    public string Name { get; }
    /// <summary>The values. Whoever writes them directly (not through an optimizer or StateDict) calls <see cref="MarkChanged"/> after.</summary>
    public Tensor Value { get; }
    public Tensor Grad { get; }

    /// <summary>Bumped whenever <see cref="Value"/> changes outside a layer (optimizer step, load), so that
    /// kernels holding a packed copy of the weights know to repack.</summary>
    public int Version { get; private set; }

    public Parameter(string name, Tensor value)
    {
        Name = name;
        Value = value;
        Grad = new Tensor(value.Shape);
    }

    public void MarkChanged() => Version++;

    public void ZeroGrad() => Grad.Clear();

    public override string ToString() => $"{Name} {Value}";
}

public static class ParameterExtensions
{
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
