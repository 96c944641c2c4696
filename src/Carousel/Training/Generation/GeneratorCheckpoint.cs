using System.Globalization;
using System.Text.Json;
using Carousel.Data;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training.Generation;

/// <summary>
/// A trained conditioned generator with its vocabulary (start and end symbols included) and the names of its
/// one-hot conditions; a <see cref="ModelCheckpoint"/> of kind "conditioned-generator/1".
/// </summary>
/// <param name="Model">The generator, in evaluation mode once loaded.</param>
/// <param name="Vocabulary">Its symbols, start and end symbols included.</param>
/// <param name="Labels">The condition names: label k is the one-hot with a 1 at k (empty when trained on raw condition vectors).</param>
/// <param name="Options">The options it was trained with.</param>
/// <param name="Epoch">Epochs trained when it was saved.</param>
public sealed record GeneratorCheckpoint(ConditionedGenerator Model, CharVocabulary Vocabulary, string[] Labels,
    GeneratorTrainingOptions Options, int Epoch)
{
    /// <summary>The model kind written into (and required of) its checkpoint files.</summary>
    public const string Kind = "conditioned-generator/1";

    /// <summary>Writes DIR/checkpoint.safetensors (weights, optimizer state when given, metadata) and DIR/model.safetensors (weights only).</summary>
    public void Save(string directory, Optimizer? optimizer) =>
        ModelCheckpoint.SaveToDirectory(directory, Kind, Model.NamedParameters(), optimizer, Metadata(), Epoch);

    /// <summary>The checkpoint's metadata: options, vocabulary, labels and the condition size.</summary>
    public Dictionary<string, string> Metadata() => new()
    {
        ["options"] = JsonSerializer.Serialize(Options),
        ["vocabulary"] = Vocabulary.ToString(),
        ["labels"] = JsonSerializer.Serialize(Labels),
        ["condition_size"] = Model.Config.ConditionSize.ToString(CultureInfo.InvariantCulture),
        ["epoch"] = Epoch.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Reads a generator from a checkpoint file or training directory; another kind of checkpoint, or an inconsistent one, is a clear error.</summary>
    public static GeneratorCheckpoint Load(string path)
    {
        var file = ModelCheckpoint.Load(path, Kind);
        var options = file.GetJson<GeneratorTrainingOptions>("options");
        var labels = file.GetJson<string[]>("labels");
        if (!int.TryParse(file.Get("condition_size"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int conditionSize) || conditionSize <= 0)
            throw new InvalidDataException($"{file.Path}: condition_size is not a positive count.");
        CharVocabulary vocabulary;
        ConditionedGenerator model;
        try
        {
            vocabulary = CharVocabulary.Parse(file.Get("vocabulary"));
            model = new ConditionedGenerator(options.ModelConfig(vocabulary.Count, conditionSize), new Rng(0));
        }
        catch (ArgumentException e) { throw new InvalidDataException($"{file.Path}: impossible model: {e.Message}"); }
        file.LoadWeights(model.NamedParameters());
        model.Training = false;
        // Before the one training loop the checkpoint counted epochs in "step".
        int epoch = file.Metadata.TryGetValue("epoch", out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int saved) ? saved : (int)file.Step;
        return new GeneratorCheckpoint(model, vocabulary, labels, options, epoch);
    }

    /// <summary>The condition vector for a label name: its one-hot.</summary>
    public float[] OneHot(string label)
    {
        int k = Array.IndexOf(Labels, label);
        if (k < 0) throw Labels.Length == 0
            ? new SettingException("Condition", "This model was trained on condition vectors, not labels: give ConditionVector instead of Condition.", "ConditionVector")
            : new SettingException("Condition", $"Unknown condition '{label}': expected one of {string.Join(", ", Labels)}.");
        var v = new float[Model.Config.ConditionSize];
        v[k] = 1f;
        return v;
    }
}
