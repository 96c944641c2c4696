using System.Text.Json;
using Carousel.Data;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Training.Ctc;

/// <summary>
/// A trained CTC recogniser with what it needs to read new input: its labels, the feature normalisation computed on the
/// training frames and the training options. Saved as a <see cref="ModelCheckpoint"/> of kind "ctc-recognizer/1"
/// (metadata: options, labels, normalization as JSON) plus model.safetensors for PyTorch (rnn.weight_ih_l0 …,
/// output.weight, output.bias; output class 0 is the blank).
/// </summary>
public sealed class CtcCheckpoint
{
    /// <summary>The model kind written into (and required of) its checkpoint files.</summary>
    public const string Kind = "ctc-recognizer/1";

    /// <summary>Frames → recurrent stack → Linear to the C = K + 1 classes' logits, in evaluation mode once loaded.</summary>
    public required SequenceTagger Model { get; init; }
    /// <summary>The labels by output class (the blank at 0).</summary>
    public required CtcLabels Labels { get; init; }
    /// <summary>The per-feature scaling of the input, fitted on the training frames.</summary>
    public required FeatureNormalization Normalization { get; init; }
    /// <summary>The options it was trained with.</summary>
    public required CtcTrainingOptions Options { get; init; }
    /// <summary>The optimizer step its weights are from.</summary>
    public long Step { get; init; }

    /// <summary>A fresh model for frames of the normalisation's width and the labels' classes.</summary>
    public static SequenceTagger CreateModel(CtcTrainingOptions options, int width, CtcLabels labels, Rng rng) =>
        new(options.RecurrentOptions(width), labels.ClassCount, rng);

    /// <summary>The checkpoint's own metadata: options, labels and normalisation.</summary>
    public Dictionary<string, string> Metadata() => new()
    {
        ["options"] = JsonSerializer.Serialize(Options),
        ["labels"] = JsonSerializer.Serialize(Labels.Labels),
        ["normalization"] = JsonSerializer.Serialize(Normalization),
    };

    /// <summary>Reads a CTC checkpoint (file or training directory); another model's checkpoint is a clear error.</summary>
    public static CtcCheckpoint Load(string path)
    {
        var file = ModelCheckpoint.Load(path, Kind);
        var options = file.GetJson<CtcTrainingOptions>("options");
        var normalization = file.GetJson<FeatureNormalization>("normalization");
        CtcLabels labels;
        try
        {
            options.Validate();
            labels = new CtcLabels(file.GetJson<string[]>("labels"));
            if (normalization.Mean is null || normalization.Std is null || normalization.Mean.Length == 0 || normalization.Std.Length != normalization.Mean.Length
                || normalization.Std.Any(s => !(s > 0)) || normalization.Mean.Any(m => !float.IsFinite(m)))
                throw new ArgumentException("the normalisation is not one mean and one positive scale per feature.");
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{file.Path}: inconsistent checkpoint: {e.Message}");
        }
        var model = CreateModel(options, normalization.Width, labels, new Rng(0));
        file.LoadWeights(model.NamedParameters());
        model.Training = false;
        return new CtcCheckpoint { Model = model, Labels = labels, Normalization = normalization, Options = options, Step = file.Step };
    }
}
