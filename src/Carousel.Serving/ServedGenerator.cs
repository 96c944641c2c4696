using Carousel.Tensors;
using Carousel.Training.Generation;

namespace Carousel.Serving;

/// <summary>A conditioned generator: writes one text for a condition label, until its end symbol or the length limit.</summary>
public sealed class ServedGenerator(string name, string path, GeneratorCheckpoint checkpoint) : SamplingModel(name, path, checkpoint.Epoch)
{
    /// <inheritdoc/>
    public override string Kind => Kinds.Generator;

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> Details { get; } = new Dictionary<string, object>
    {
        ["conditions"] = checkpoint.Labels,
        ["hidden"] = checkpoint.Options.Hidden,
    };

    /// <inheritdoc/>
    public override IEnumerable<string> Sample(SampleRequest request, int length, Rng rng)
    {
        if (checkpoint.Labels.Length == 0)
            throw RequestException.BadRequest("This generator was trained on condition vectors, not labels; the server serves generators of labels only.");
        if (string.IsNullOrEmpty(request.Condition))
            throw RequestException.BadRequest($"Give a condition: one of {string.Join(", ", checkpoint.Labels)}.");
        var condition = checkpoint.OneHot(request.Condition);
        return checkpoint.Model.Stream(checkpoint.Vocabulary, condition, Options(request), rng, length);
    }
}
