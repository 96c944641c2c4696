namespace Carousel.Models;

/// <summary>How the next character is chosen from the model's distribution.</summary>
public sealed record SamplingOptions(float Temperature = 1f, int TopK = 0, bool Argmax = false)
{
    public void Validate()
    {
        if (!(Temperature > 0f) || !float.IsFinite(Temperature)) throw new ArgumentException($"--temperature must be > 0, got {Temperature}.");
        if (TopK < 0) throw new ArgumentException($"--top-k must be ≥ 0 (0: all characters), got {TopK}.");
    }
}
