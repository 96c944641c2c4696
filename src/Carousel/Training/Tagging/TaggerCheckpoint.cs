using System.Text.Json;
using Carousel.Data;
using Carousel.Data.Tagging;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Training.Tagging;

/// <summary>
/// A trained sequence tagger with what it needs to read new input: the character and label vocabularies,
/// the training options and the task. Saved as a <see cref="ModelCheckpoint"/> of kind "sequence-tagger/1"
/// (metadata: options, characters, labels, task as JSON) plus model.safetensors for PyTorch
/// (embedding.weight, rnn.weight_ih_l0 …, output.weight, output.bias).
/// </summary>
public sealed class TaggerCheckpoint
{
    /// <summary>The model kind written into (and required of) its checkpoint files.</summary>
    public const string Kind = "sequence-tagger/1";

    /// <summary>The tagger, in evaluation mode once loaded.</summary>
    public required SequenceTagger Model { get; init; }
    /// <summary>The input characters and the labels, by id.</summary>
    public required TaggingVocabulary Vocabulary { get; init; }
    /// <summary>The options it was trained with.</summary>
    public required TaggerTrainingOptions Options { get; init; }
    /// <summary>Where its examples came from, so that eval and predict read new input the same way.</summary>
    public required TaggingTask Task { get; init; }
    /// <summary>The optimizer step its weights are from.</summary>
    public long Step { get; init; }

    /// <summary>A fresh model for the vocabulary and options.</summary>
    public static SequenceTagger CreateModel(TaggerTrainingOptions options, TaggingVocabulary vocabulary, Rng rng) =>
        new(options.RecurrentOptions(vocabulary.InputCount), vocabulary.Labels.Count, rng, vocabulary.InputCount, options.Input, options.OutputDropout);

    /// <summary>The checkpoint's own metadata: options, characters, labels and task.</summary>
    public Dictionary<string, string> Metadata() => new()
    {
        ["options"] = JsonSerializer.Serialize(Options),
        ["characters"] = Vocabulary.Characters.ToString(),
        ["labels"] = JsonSerializer.Serialize(Vocabulary.Labels),
        ["task"] = JsonSerializer.Serialize(Task),
    };

    /// <summary>Reads a tagger checkpoint (file or training directory); another model's checkpoint is a clear error.</summary>
    public static TaggerCheckpoint Load(string path)
    {
        var file = ModelCheckpoint.Load(path, Kind);
        var options = file.GetJson<TaggerTrainingOptions>("options");
        var labels = file.GetJson<string[]>("labels");
        var task = file.GetJson<TaggingTask>("task");
        TaggingVocabulary vocabulary;
        try
        {
            options.Validate();
            vocabulary = new TaggingVocabulary(CharVocabulary.Parse(file.Get("characters")), labels);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{file.Path}: inconsistent checkpoint: {e.Message}");
        }
        var model = CreateModel(options, vocabulary, new Rng(0));
        file.LoadWeights(model.NamedParameters());
        model.Training = false;
        return new TaggerCheckpoint { Model = model, Vocabulary = vocabulary, Options = options, Task = task, Step = file.Step };
    }
}
