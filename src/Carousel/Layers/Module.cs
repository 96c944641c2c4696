using Carousel.Tensors;

namespace Carousel.Layers;

/// <summary>
/// What every layer and model is: named parameters (PyTorch state-dict names, hierarchical: "encoder.rnn.weight_ih_l0"),
/// a train/eval mode, and the random generators of its dropout masks. Saving and loading go through the state dict
/// (<see cref="Module.StateDict"/>, <see cref="Module.LoadStateDict"/>; files: IO's StateDict).
/// </summary>
public interface IModule
{
    /// <summary>Every parameter under its name relative to this module, in a fixed order (the order files and optimizers use).</summary>
    IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters();

    /// <summary>True while training (dropout draws masks); false for evaluation and inference.</summary>
    bool Training { get; set; }

    /// <summary>Every generator that draws dropout masks, in a fixed order: saved and restored so a resumed run draws the same masks.</summary>
    IReadOnlyList<Rng> DropoutRngs { get; }
}

/// <summary>What every <see cref="IModule"/> can do with its parameters: compose names, list, copy out and load a state dict.</summary>
public static class Module
{
    /// <summary>A child's parameters under "<paramref name="name"/>." + their own names, for a parent's <see cref="IModule.NamedParameters"/>.</summary>
    public static IEnumerable<(string Name, Parameter Parameter)> Child(string name, IModule child)
    {
        foreach (var (childName, parameter) in child.NamedParameters()) yield return ($"{name}.{childName}", parameter);
    }

    /// <summary>The parameters alone, in the module's order.</summary>
    public static Parameter[] Parameters(this IModule module) => [.. module.NamedParameters().Select(p => p.Parameter)];

    /// <summary>A copy of every parameter's values by name (PyTorch's <c>state_dict()</c>).</summary>
    public static Dictionary<string, Tensor> StateDict(this IModule module)
    {
        var state = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in module.NamedParameters()) state[name] = new Tensor((float[])p.Value.Data.Clone(), p.Value.Shape);
        return state;
    }

    /// <summary>
    /// Copies <paramref name="state"/> into the parameters (PyTorch's <c>load_state_dict(strict=True)</c>): every name must
    /// be present both ways and every shape must match, or nothing is changed and the exception lists every problem.
    /// </summary>
    public static void LoadStateDict(this IModule module, IReadOnlyDictionary<string, Tensor> state)
    {
        var parameters = module.NamedParameters();
        var problems = new List<string>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, p) in parameters)
        {
            names.Add(name);
            if (!state.TryGetValue(name, out var value)) problems.Add($"missing {name}");
            else if (!value.HasShape(p.Value.Shape)) problems.Add($"{name}: [{string.Join(", ", value.Shape)}] given, [{string.Join(", ", p.Value.Shape)}] expected");
        }
        foreach (var name in state.Keys)
            if (!names.Contains(name)) problems.Add($"unexpected {name}");
        if (problems.Count > 0) throw new ArgumentException($"The state dict does not fit the module, nothing was loaded: {string.Join("; ", problems)}.", nameof(state));
        foreach (var (name, p) in parameters)
        {
            state[name].Data.AsSpan().CopyTo(p.Value.Data);
            p.MarkChanged();
        }
    }
}
