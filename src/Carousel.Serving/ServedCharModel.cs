using Carousel.Models;
using Carousel.Tensors;
using Carousel.Training.Char;

namespace Carousel.Serving;

/// <summary>A character language model: samples text after a prime, through <see cref="CharSampler"/> (the batch-1 stepper).</summary>
public sealed class ServedCharModel(string name, string path, CharCheckpoint checkpoint) : SamplingModel(name, path, checkpoint.Step)
{
    /// <inheritdoc/>
    public override string Kind => Kinds.Char;

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> Details { get; } = new Dictionary<string, object>
    {
        ["cell"] = checkpoint.Options.Cell.ToString().ToLowerInvariant(),
        ["hidden"] = checkpoint.Options.Hidden,
        ["layers"] = checkpoint.Options.Layers,
        ["characters"] = checkpoint.Vocabulary.Count,
    };

    /// <inheritdoc/>
    public override IEnumerable<string> Sample(SampleRequest request, int length, Rng rng) =>
        new CharSampler(checkpoint.Model, checkpoint.Vocabulary).Generate(request.Prime ?? "", length, Options(request), rng);
}
