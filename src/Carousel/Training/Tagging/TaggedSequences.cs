using Carousel.Data;
using Carousel.Data.Tagging;
using Carousel.Losses;

namespace Carousel.Training.Tagging;

/// <summary>Examples encoded once for a tagger: character ids and (when known) label ids per sequence.</summary>
public sealed class TaggedSequences
{
    /// <summary>Each example's character ids, one per character.</summary>
    public int[][] Inputs { get; }
    /// <summary>Null when the examples have no labels (prediction).</summary>
    public int[][]? Labels { get; }
    /// <summary>Each example's length in characters.</summary>
    public int[] Lengths { get; }
    /// <summary>The input id that pads shorter sequences in a batch (the unknown character's).</summary>
    public int PadId { get; }
    /// <summary>Characters over all examples.</summary>
    public long Characters { get; }
    /// <summary>The number of examples.</summary>
    public int Count => Inputs.Length;

    /// <summary>Encodes the examples' texts (and their labels when <paramref name="withLabels"/>); an empty text is an error naming its source.</summary>
    public TaggedSequences(IReadOnlyList<TaggedExample> examples, TaggingVocabulary vocabulary, bool withLabels)
    {
        Inputs = new int[examples.Count][];
        Labels = withLabels ? new int[examples.Count][] : null;
        Lengths = new int[examples.Count];
        PadId = vocabulary.UnknownId;
        for (int i = 0; i < examples.Count; i++)
        {
            Inputs[i] = vocabulary.EncodeText(examples[i].Text);
            if (Inputs[i].Length == 0) throw new InvalidDataException($"{examples[i].Source}: an empty sequence.");
            if (Labels is not null) Labels[i] = vocabulary.EncodeLabels(examples[i]);
            Lengths[i] = Inputs[i].Length;
            Characters += Lengths[i];
        }
    }

    /// <summary>The chosen sequences padded time-major: ids [T, B] and targets [T, B] (<see cref="SoftmaxCrossEntropy.Ignore"/> past each end).</summary>
    public (PaddedBatch Inputs, int[]? Targets) Batch(int[] examples)
    {
        var inputs = PaddedBatch.From(Inputs, examples, PadId);
        var targets = Labels is null ? null : PaddedBatch.From(Labels, examples, SoftmaxCrossEntropy.Ignore).Ids;
        return (inputs, targets);
    }
}
