namespace Carousel.Data.Tagging;

/// <summary>
/// The symbols of a tagging task: input characters ↔ ids (with one extra id for characters training never
/// saw, which also pads batches) and labels ↔ ids (the tagger's outputs, in this order).
/// </summary>
public sealed class TaggingVocabulary
{
    private readonly Dictionary<string, int> _labelIds;
    private readonly Dictionary<int, int> _characterIds; // code point → id, as Characters numbers them

    /// <summary>The known input characters; their ids are their ids in this vocabulary.</summary>
    public CharVocabulary Characters { get; }

    /// <summary>The labels by id: output k of the tagger scores Labels[k].</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Id of a character outside <see cref="Characters"/>; also the padding id.</summary>
    public int UnknownId => Characters.Count;

    /// <summary>Rows of the embedding: the known characters and the unknown one.</summary>
    public int InputCount => Characters.Count + 1;

    /// <summary>A vocabulary of the given characters and labels (at least two, distinct; their order is kept).</summary>
    public TaggingVocabulary(CharVocabulary characters, IReadOnlyList<string> labels)
    {
        if (labels.Count < 2) throw new ArgumentException($"A tagging task needs at least two labels, got {labels.Count}.");
        Characters = characters;
        _characterIds = new Dictionary<int, int>(characters.Count);
        for (int i = 0; i < characters.Count; i++) _characterIds[characters.CodePoints[i]] = i;
        Labels = [.. labels];
        _labelIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Labels.Count; i++)
            if (!_labelIds.TryAdd(Labels[i], i)) throw new ArgumentException($"Label '{Labels[i]}' is listed twice.");
    }

    /// <summary>From training examples: every character of their texts, and their labels sorted (ordinal) unless <paramref name="labels"/> fixes them.</summary>
    public static TaggingVocabulary FromExamples(IReadOnlyList<TaggedExample> examples, IReadOnlyList<string>? labels = null)
    {
        var characters = new HashSet<int>();
        var seenLabels = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var example in examples)
        {
            foreach (int cp in CharVocabulary.ScalarValues(example.Text)) characters.Add(cp);
            if (example.Labels is null) throw new ArgumentException($"{example.Source}: a training example needs labels.");
            foreach (var label in example.Labels) seenLabels.Add(label);
        }
        if (characters.Count == 0) throw new InvalidDataException("The training examples hold no characters.");
        if (labels is null && seenLabels.Count < 2)
            throw new InvalidDataException($"The training examples use {seenLabels.Count} label(s) ({string.Join(", ", seenLabels)}); tagging needs at least two.");
        return new TaggingVocabulary(new CharVocabulary(characters), labels ?? [.. seenLabels]);
    }

    /// <summary>Whether <paramref name="label"/> is one of the known labels.</summary>
    public bool HasLabel(string label) => _labelIds.ContainsKey(label);

    /// <summary>Character ids of a text; characters not in the vocabulary get <see cref="UnknownId"/>.</summary>
    public int[] EncodeText(string text)
    {
        var ids = new int[TaggedExample.CharacterCount(text)];
        int i = 0;
        foreach (int cp in CharVocabulary.ScalarValues(text)) ids[i++] = _characterIds.TryGetValue(cp, out int id) ? id : UnknownId;
        return ids;
    }

    /// <summary>Label ids of an example; a label the model does not know is an error naming the example.</summary>
    public int[] EncodeLabels(TaggedExample example)
    {
        var labels = example.Labels ?? throw new InvalidDataException($"{example.Source}: the example has no labels.");
        var ids = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
            if (!_labelIds.TryGetValue(labels[i], out ids[i]))
                throw new InvalidDataException($"{example.Source}: label '{labels[i]}' at character {i} was never seen in training (the model knows {string.Join(", ", Labels.Select(l => $"'{l}'"))}).");
        return ids;
    }

    /// <summary>The label with this id (the tagger's output index).</summary>
    public string Label(int id) => Labels[id];
}
