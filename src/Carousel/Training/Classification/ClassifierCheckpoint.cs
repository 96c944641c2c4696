using System.Text.Json;
using Carousel.Data;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training.Classification;

/// <summary>
/// A trained sequence classifier with what it needs to read new texts: the symbols (level, max length,
/// alphabet), the labels in class order and the training options. Stored as a <see cref="ModelCheckpoint"/>
/// of kind "sequence-classifier/1".
/// </summary>
/// <param name="Model">The classifier, in evaluation mode once loaded.</param>
/// <param name="Symbols">How texts become symbol ids: the level, the maximum length and the alphabet.</param>
/// <param name="Labels">The label names, in class order (class k is Labels[k]).</param>
/// <param name="Options">The options it was trained with.</param>
/// <param name="Epoch">Epochs trained when it was saved.</param>
public sealed record ClassifierCheckpoint(SequenceClassifier Model, TextSymbols Symbols, string[] Labels,
    ClassifierTrainingOptions Options, int Epoch)
{
    /// <summary>The model kind written into (and required of) its checkpoint files.</summary>
    public const string Kind = "sequence-classifier/1";

    /// <summary>Writes DIR/checkpoint.safetensors (weights, optimizer state when given, metadata) and DIR/model.safetensors (weights only).</summary>
    public void Save(string directory, Optimizer? optimizer) =>
        ModelCheckpoint.SaveToDirectory(directory, Kind, Model.NamedParameters(), optimizer, Metadata(), Epoch);

    
    /// <summary>The checkpoint's metadata: options, symbols, labels (JSON) and the epoch.</summary>
    public Dictionary<string, string> Metadata() => new()
    {
        ["options"] = JsonSerializer.Serialize(Options),
        ["symbols"] = JsonSerializer.Serialize(Symbols.ToRecord()),
        ["labels"] = JsonSerializer.Serialize(Labels),
        ["epoch"] = Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Reads a classifier from a checkpoint file or training directory; any other kind of checkpoint is a clear error.</summary>
    public static ClassifierCheckpoint Load(string path)
    {
        var file = ModelCheckpoint.Load(path, Kind);
        var options = file.GetJson<ClassifierTrainingOptions>("options");
        var labels = file.GetJson<string[]>("labels");
        TextSymbols symbols;
        try { symbols = TextSymbols.FromRecord(file.GetJson<TextSymbolsRecord>("symbols")); }
        catch (ArgumentException e) { throw new InvalidDataException($"{file.Path}: unreadable symbols: {e.Message}"); }
        SequenceClassifier model;
        try { model = new SequenceClassifier(options.ModelConfig(symbols.Count, labels.Length), new Rng(0)); }
        catch (ArgumentException e) { throw new InvalidDataException($"{file.Path}: impossible model options: {e.Message}"); }
        file.LoadWeights(model.NamedParameters());
        model.Training = false;
        // Before the one training loop the classifier's checkpoint counted epochs in "step" too.
        int epoch = file.Metadata.TryGetValue("epoch", out var text) && int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int saved) ? saved : (int)file.Step;
        return new ClassifierCheckpoint(model, symbols, labels, options, epoch);
    }

    /// <summary>Class probabilities [N, K] for raw texts; characters outside the alphabet read as the unknown symbol.</summary>
    public float[] Predict(IReadOnlyList<string> texts, int batchSize = 64)
    {
        var sequences = new int[texts.Count][];
        for (int n = 0; n < texts.Count; n++)
        {
            sequences[n] = Symbols.Encode(texts[n]);
            if (sequences[n].Length == 0) throw new InvalidDataException($"Text {n + 1} is empty.");
        }
        return SequenceClassifierPredictor.Probabilities(Model, sequences, batchSize);
    }
}
