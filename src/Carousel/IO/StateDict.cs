using Carousel.Tensors;

namespace Carousel.IO;

/// <summary>What a load left out: parameters absent from the file and tensors in the file that no parameter claimed.
/// Both are empty after a successful strict load.</summary>
/// <param name="MissingNames">Parameters that kept their values because the file has no tensor of their name.</param>
/// <param name="UnexpectedNames">Tensors of the file that no parameter is named after.</param>
public sealed record StateDictLoadResult(IReadOnlyList<string> MissingNames, IReadOnlyList<string> UnexpectedNames);

/// <summary>
/// Saves and loads model parameters as a safetensors state dict, named like PyTorch's
/// (e.g. "rnn.weight_ih_l0"), so weights move between Carousel and PyTorch in both directions.
/// </summary>
public static class StateDict
{
    /// <summary>The index of the first NaN or infinite value, or −1 when all are finite numbers.</summary>
    private static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>Saves the parameter values as float32, in the given order, atomically.</summary>
    public static void Save(string path, IEnumerable<(string Name, Parameter Parameter)> parameters, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        SafeTensors.Write(path, parameters.Select(p => (p.Name, p.Parameter.Value)), metadata);
    }

    /// <summary>Reads a file and copies its tensors into the existing parameters; see <see cref="Load(SafeTensorsFile, IEnumerable{ValueTuple{string, Parameter}}, bool)"/>.</summary>
    public static StateDictLoadResult Load(string path, IEnumerable<(string Name, Parameter Parameter)> parameters, bool strict = true) =>
        Load(SafeTensors.Read(path), parameters, strict);

    /// <summary>
    /// Copies the file's tensors into the parameters of the same names and marks them changed. Float tensors of any
    /// width (F32, F64, F16, BF16) are accepted and converted. Every shape and dtype is checked, and in strict mode
    /// every name must match both ways, before any parameter is modified: on an <see cref="InvalidDataException"/> (listing every problem)
    /// the model is exactly as it was.
    /// </summary>
    public static StateDictLoadResult Load(SafeTensorsFile file, IEnumerable<(string Name, Parameter Parameter)> parameters, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(parameters);

        var targets = parameters.ToList();
        var targetNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in targets)
            if (!targetNames.Add(name)) throw new ArgumentException($"Parameter name '{name}' appears more than once.", nameof(parameters));

        var problems = new List<string>();
        var missing = new List<string>();
        var matches = new List<(Parameter Parameter, float[] Values)>();
        foreach (var (name, parameter) in targets)
        {
            if (!file.TryGetEntry(name, out var entry))
                missing.Add(name);
            else if (!entry.DType.IsFloatingPoint())
                problems.Add($"{name}: file has dtype {entry.DType.ToFormatName()}, a parameter needs a float dtype (F32, F64, F16 or BF16)");
            else if (!parameter.Value.HasShape(entry.Shape))
                problems.Add($"{name}: file has [{string.Join(", ", entry.Shape)}], model expects [{string.Join(", ", parameter.Value.Shape)}]");
            else
            {
                // A weight that is NaN or infinite makes every output NaN: refuse it here rather than sample empty text.
                var values = new float[entry.ElementCount];
                entry.CopyTo(values);
                int bad = FirstNonFinite(values);
                if (bad >= 0) problems.Add($"{name}: holds {values[bad]} at element {bad}; weights must be finite numbers");
                else matches.Add((parameter, values));
            }
        }
        var unexpected = file.Names.Where(name => !targetNames.Contains(name)).ToList();

        if (strict)
        {
            if (missing.Count > 0) problems.Add($"missing from the file: {string.Join(", ", missing)}");
            if (unexpected.Count > 0) problems.Add($"unexpected in the file: {string.Join(", ", unexpected)}");
        }
        if (problems.Count > 0)
            throw FileFormatErrors.Create(file.SourceName,
                $"does not fit the model, nothing was loaded:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", problems)}");

        // Everything fits; the copies below cannot fail.
        foreach (var (parameter, values) in matches)
        {
            values.CopyTo(parameter.Value.Data, 0);
            parameter.MarkChanged();
        }
        return new StateDictLoadResult(missing, unexpected);
    }
}
