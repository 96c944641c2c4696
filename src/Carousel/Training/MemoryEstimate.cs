using System.Globalization;
using Carousel.IO;
using Carousel.Layers.Recurrent;
using Carousel.Optimizers;

namespace Carousel.Training;

/// <summary>
/// What a training run will allocate, estimated from its settings before anything is built, and the check of it against
/// the memory the process may use (<see cref="MemoryLimit"/>): the weights with their gradients and the optimizer's state,
/// the activations a batch keeps for backward and the workspaces (B × T × H per layer and direction, the output layer's
/// logits B × T × V, ...), and that no single array exceeds <see cref="Array.MaxLength"/>. A run that cannot fit is refused
/// with a <see cref="SettingException"/> naming the settings that drive the largest part and the memory needed and
/// available, instead of failing on an overflow or running out of memory later (possibly hours later, at the longest batch).
/// Every trainer builds one from its options and data sizes and calls <see cref="Check()"/> before it builds its model.
/// </summary>
public sealed class MemoryEstimate
{
    private readonly List<Part> _parts = [];
    private readonly List<Part> _arrays = [];

    /// <summary>One part of the estimate: what it is (naming settings with their values), its size, the settings it grows with.</summary>
    private sealed record Part(string What, double Size, string[] Settings);

    /// <summary>The estimated bytes in all.</summary>
    public double Bytes => _parts.Sum(p => p.Size);

    /// <summary>The weights: <paramref name="count"/> floats, as many gradients, and the optimizer's state per weight.</summary>
    /// <param name="count">The number of weights.</param>
    /// <param name="optimizer">The optimizer, for its state per weight.</param>
    /// <param name="what">The weights, naming the settings with their values ("the weights of Hidden 256 × Layers 2").</param>
    /// <param name="settings">The settings the count grows with, the one to lower first.</param>
    public MemoryEstimate Weights(double count, OptimizerSettings optimizer, string what, params string[] settings) =>
        Weights(count, 0, optimizer, what, settings);

    /// <summary>The weights as <see cref="Weights(double, OptimizerSettings, string, string[])"/>, and <paramref name="copies"/> floats of copies the kernels keep.</summary>
    /// <param name="count">The number of weights.</param>
    /// <param name="copies">Floats of weights packed for the matrix kernels.</param>
    /// <param name="optimizer">The optimizer, for its state per weight.</param>
    /// <param name="what">The weights, naming the settings with their values ("the weights of Hidden 256 × Layers 2").</param>
    /// <param name="settings">The settings the count grows with, the one to lower first.</param>
    public MemoryEstimate Weights(double count, double copies, OptimizerSettings optimizer, string what, params string[] settings)
    {
        if (settings.Length == 0) throw new ArgumentException("Name at least one setting the weights grow with.", nameof(settings));
        _parts.Add(new Part($"{what}, their gradients, {optimizer.Name}'s state and packed copies",
            (count * (2 + optimizer.StatePerWeight) + copies) * sizeof(float), settings));
        return this;
    }

    /// <summary>Buffers of <paramref name="floats"/> floats whose largest single array has <paramref name="largestArray"/> elements.</summary>
    /// <param name="what">The buffers, naming the settings with their values ("the activations of BatchSize 32 × SeqLength 100 steps").</param>
    /// <param name="floats">The floats in all.</param>
    /// <param name="largestArray">The elements of the largest single array among them.</param>
    /// <param name="settings">The settings the buffers grow with, the one to lower first.</param>
    public MemoryEstimate Buffers(string what, double floats, double largestArray, params string[] settings)
    {
        if (settings.Length == 0) throw new ArgumentException("Name at least one setting the buffers grow with.", nameof(settings));
        _parts.Add(new Part(what, floats * sizeof(float), settings));
        _arrays.Add(new Part(what, largestArray, settings));
        return this;
    }

    /// <summary>
    /// A sequence model as most here are built: an embedding of <paramref name="vocabulary"/> symbols (0: none) into the
    /// stack's input, the recurrent stack <paramref name="rnn"/>, and a linear layer to <paramref name="outputs"/> logits per
    /// step (<paramref name="outputPerStep"/>) or per sequence; its weights, and the activations and workspaces of batches of
    /// [<paramref name="steps"/>, <paramref name="batch"/>].
    /// </summary>
    /// <param name="rnn">The stack's options (validated here).</param>
    /// <param name="optimizer">The optimizer, for its state per weight.</param>
    /// <param name="steps">T: the longest sequence of a batch.</param>
    /// <param name="batch">B: the sequences of a batch.</param>
    /// <param name="vocabulary">The embedding's rows (0 without an embedding).</param>
    /// <param name="outputs">The output layer's logits per step or per sequence.</param>
    /// <param name="outputPerStep">Whether the output layer runs at every step (language models, taggers) or once per sequence (classifiers).</param>
    /// <param name="weights">The weights, naming the settings with their values ("the weights of Hidden 256 × Layers 2").</param>
    /// <param name="weightSettings">The settings the weights grow with, the one to lower first.</param>
    /// <param name="activations">The activations, naming the settings with their values ("the activations of BatchSize 32 × SeqLength 100 steps").</param>
    /// <param name="activationSettings">The settings the activations grow with, the one to lower first.</param>
    /// <param name="otherWeights">Weights of the model besides these (a bridge, a condition's projection).</param>
    public MemoryEstimate SequenceModel(RecurrentOptions rnn, OptimizerSettings optimizer, long steps, long batch, double vocabulary, double outputs,
        bool outputPerStep, string weights, string[] weightSettings, string activations, string[] activationSettings, double otherWeights = 0)
    {
        rnn.Validate();
        double rows = (double)steps * batch, In = rnn.InputSize, width = rnn.OutputSize;
        Weights(rnn.ParameterCount() + vocabulary * In + (width + 1) * outputs + otherWeights, rnn.PackedWeightFloats(), optimizer, weights, weightSettings);
        double logits = (outputPerStep ? rows : batch) * outputs;
        // Besides the stack's own buffers: the embedded input, the gradient of the stack's output, the logits (and their gradient).
        return Buffers(activations, rnn.WorkspaceFloats(steps, batch) + rows * (In + width) + 2 * logits,
            Math.Max(rnn.LargestWorkspaceArray(steps, batch), Math.Max(rows * Math.Max(In, width), logits)), activationSettings);
    }

    /// <summary>Checks the estimate against what this process may use (<see cref="MemoryLimit.OfThisProcess"/>).</summary>
    /// <exception cref="SettingException">An array would exceed <see cref="Array.MaxLength"/>, or the whole run would exceed the memory the process may use.</exception>
    public void Check() => Check(MemoryLimit.OfThisProcess());

    /// <summary>Checks the estimate against <paramref name="limit"/>.</summary>
    /// <exception cref="SettingException">An array would exceed <see cref="Array.MaxLength"/>, or the whole run would exceed <paramref name="limit"/>.</exception>
    public void Check(MemoryLimit limit)
    {
        foreach (var array in _arrays)
            if (array.Size > Array.MaxLength)
                throw new SettingException(array.Settings[0], string.Create(CultureInfo.InvariantCulture,
                    $"{Capitalized(array.What)} would need an array of {array.Size:0.##E+0} values, more than one array can hold " +
                    $"({Array.MaxLength:N0}); lower {Alternatives(array.Settings)}."), array.Settings[1..]);
        double total = Bytes;
        if (total <= limit.Bytes) return;
        var parts = _parts.OrderByDescending(p => p.Size).ToList();
        string[] settings = [.. parts.SelectMany(p => p.Settings).Distinct()];
        string listed = string.Join("; ", parts.Where(p => p.Size >= 0.01 * total).Select(p => $"{p.What}: {MemoryLimit.Format(p.Size)}"));
        throw new SettingException(settings[0],
            $"This run needs about {MemoryLimit.Format(total)} of memory ({listed}), more than the {limit} this process may use; " +
            $"lower {Alternatives(parts[0].Settings)}.", settings[1..]);
    }

    private static string Alternatives(string[] settings) =>
        settings.Length <= 1 ? settings.FirstOrDefault() ?? "the sizes" : string.Join(", ", settings[..^1]) + " or " + settings[^1];

    private static string Capitalized(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
