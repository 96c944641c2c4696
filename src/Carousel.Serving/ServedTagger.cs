using Carousel.Data.Tagging;
using Carousel.Training.Tagging;

namespace Carousel.Serving;

/// <summary>A per-character tagger; a truecasing tagger also restores the capitals of the text.</summary>
public sealed class ServedTagger(string name, string path, TaggerCheckpoint checkpoint) : ServedModel(name, path, checkpoint.Step)
{
    /// <inheritdoc/>
    public override string Kind => Kinds.Tagger;

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> Details { get; } = new Dictionary<string, object>
    {
        ["labels"] = checkpoint.Vocabulary.Labels,
        ["task"] = checkpoint.Task.Kind,
    };

    /// <summary>Tags <paramref name="text"/>: as one sequence, or for truecasing, lowercased and cut into the blocks the model was trained on.</summary>
    public Tagging Tag(string text)
    {
        if (text.Length == 0) throw RequestException.BadRequest("The text is empty.");
        var task = checkpoint.Task;
        var examples = task.IsTruecasing
            ? Truecasing.Examples(Truecasing.Lowercase(text), task.MaxLength, "text")
            : [new TaggedExample(text, null, "text")];
        var predicted = TaggerInference.Predict(checkpoint.Model, new TaggedSequences(examples, checkpoint.Vocabulary, withLabels: false), batchSize: 32);
        var tags = predicted.SelectMany(ids => ids.Select(checkpoint.Vocabulary.Label)).ToArray();
        string read = string.Concat(examples.Select(e => e.Text));
        string? restored = task.IsTruecasing
            ? string.Concat(examples.Select((e, i) => Truecasing.Restore(e.Text, [.. predicted[i].Select(checkpoint.Vocabulary.Label)])))
            : null;
        return new Tagging(read, tags, restored);
    }
}
