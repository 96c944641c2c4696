using Carousel.Tensors;

namespace Carousel.Data;

/// <summary>One example of a classification data set: a text and its label.</summary>
/// <param name="Text">The text to classify, such as a name or a message.</param>
/// <param name="Label">Its class, such as "female" or "spam".</param>
public sealed record LabelledText(string Text, string Label);

/// <summary>A text and the condition vector it was produced under (e.g. a name and the one-hot of its gender).</summary>
/// <param name="Condition">The condition vector, e.g. the one-hot of a class.</param>
/// <param name="Text">The text produced under that condition.</param>
public sealed record ConditionedText(float[] Condition, string Text);

/// <summary>Preparing labelled texts for training: the label set, conflicting duplicates, a seeded dev split.</summary>
public static class LabelledTexts
{
    /// <summary>The distinct labels in ordinal order: class k is the k-th.</summary>
    public static string[] Labels(IEnumerable<LabelledText> examples) =>
        examples.Select(e => e.Label).Distinct().Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Removes every example whose text also occurs with another label (e.g. a first name in both the female and the
    /// male list): no model can be right on both, and keeping them teaches noise. Returns the kept examples and the
    /// number of distinct texts dropped.
    /// </summary>
    public static (List<LabelledText> Kept, int ConflictingTexts) DropConflicts(IReadOnlyList<LabelledText> examples)
    {
        var labelsOf = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var e in examples)
        {
            if (!labelsOf.TryGetValue(e.Text, out var set)) labelsOf[e.Text] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(e.Label);
        }
        var kept = examples.Where(e => labelsOf[e.Text].Count == 1).ToList();
        return (kept, labelsOf.Count(kv => kv.Value.Count > 1));
    }

    /// <summary>
    /// A seeded split into train and dev by distinct text, so that copies of one text never sit on both sides:
    /// about <paramref name="devFraction"/> of the distinct texts go to dev.
    /// </summary>
    public static (List<LabelledText> Train, List<LabelledText> Dev) Split(IReadOnlyList<LabelledText> examples, double devFraction, ulong seed) =>
        Split(examples, e => e.Text, devFraction, seed);

    /// <summary>The same split for any kind of example that has a text.</summary>
    public static (List<T> Train, List<T> Dev) Split<T>(IReadOnlyList<T> examples, Func<T, string> textOf, double devFraction, ulong seed)
    {
        if (!(devFraction > 0 && devFraction < 1)) throw new SettingException("DevFraction", $"DevFraction must be in (0, 1), got {devFraction}.");
        var texts = examples.Select(textOf).Distinct().Order(StringComparer.Ordinal).ToArray();
        var rng = new Rng(seed);
        for (int i = texts.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (texts[i], texts[j]) = (texts[j], texts[i]);
        }
        int devCount = (int)Math.Round(texts.Length * devFraction);
        if (devCount == 0 || devCount == texts.Length) throw new SettingException("DevFraction", $"Too few distinct texts ({texts.Length}) for a DevFraction of {devFraction}.");
        var dev = texts.Take(devCount).ToHashSet(StringComparer.Ordinal);
        return (examples.Where(e => !dev.Contains(textOf(e))).ToList(), examples.Where(e => dev.Contains(textOf(e))).ToList());
    }
}
