using Carousel.Training.Classification;

namespace Carousel.Serving;

/// <summary>A sequence classifier: one label for a whole text.</summary>
public sealed class ServedClassifier(string name, string path, ClassifierCheckpoint checkpoint) : ServedModel(name, path, checkpoint.Epoch)
{
    /// <inheritdoc/>
    public override string Kind => Kinds.Classifier;

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> Details { get; } = new Dictionary<string, object>
    {
        ["labels"] = checkpoint.Labels,
        ["maxLength"] = checkpoint.Symbols.MaxLength,
    };

    /// <summary>The label of <paramref name="text"/> (characters the model never saw read as the unknown symbol).</summary>
    public Classification Classify(string text)
    {
        if (text.Length == 0) throw RequestException.BadRequest("The text is empty.");
        var p = checkpoint.Predict([text]);
        int best = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p);
        var all = new Dictionary<string, float>();
        for (int k = 0; k < p.Length; k++) all[checkpoint.Labels[k]] = p[k];
        return new Classification(checkpoint.Labels[best], p[best], all);
    }
}
