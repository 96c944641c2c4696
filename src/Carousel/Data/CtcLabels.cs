namespace Carousel.Data;

/// <summary>
/// The output classes of a CTC model: the blank at id 0, then the labels training saw in ordinal order at ids 1..K.
/// A label the model never saw cannot be scored and is an error naming where it came from.
/// </summary>
public sealed class CtcLabels
{
    private readonly Dictionary<string, int> _ids;

    /// <summary>The blank's id.</summary>
    public const int Blank = 0;

    /// <summary>The labels by id − 1 (the blank is not among them).</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>C: the classes, the blank included.</summary>
    public int ClassCount => Labels.Count + 1;

    /// <summary>The labels in the given order at ids 1..K; duplicates and empty labels are refused.</summary>
    public CtcLabels(IReadOnlyList<string> labels)
    {
        if (labels.Count == 0) throw new ArgumentException("A CTC model needs at least one label.");
        _ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < labels.Count; i++)
        {
            if (string.IsNullOrEmpty(labels[i])) throw new ArgumentException("A label may not be empty.");
            if (!_ids.TryAdd(labels[i], i + 1)) throw new ArgumentException($"The label '{labels[i]}' appears twice.");
        }
        Labels = [.. labels];
    }

    /// <summary>Every label of the sequences' label sequences, in ordinal order.</summary>
    public static CtcLabels FromSequences(IEnumerable<FrameSequence> sequences) =>
        new([.. sequences.SelectMany(s => s.Tokens ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]);

    /// <summary>The ids of a label sequence; a label the model does not know is an error naming <paramref name="source"/>.</summary>
    public int[] Encode(IReadOnlyList<string> tokens, string source)
    {
        var ids = new int[tokens.Count];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = _ids.TryGetValue(tokens[i], out int id) ? id : throw new InvalidDataException($"{source}: the label '{tokens[i]}' is not one the model knows ({string.Join(" ", Labels)}).");
        return ids;
    }

    /// <summary>The labels of ids 1..K (the blank never appears in a decoded sequence).</summary>
    public string[] Decode(IEnumerable<int> ids) => [.. ids.Select(id => Labels[id - 1])];
}
