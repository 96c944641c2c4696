namespace Carousel.Models;

/// <summary>How the next character is chosen from the model's distribution.</summary>
/// <param name="Temperature">Divides the logits before the softmax: below 1 sharper, above 1 flatter; must be &gt; 0.</param>
/// <param name="TopK">Draw only among the k most likely characters; 0 for all of them.</param>
/// <param name="Argmax">Always take the most likely character (temperature and top-k then do not matter).</param>
public sealed record SamplingOptions(float Temperature = 1f, int TopK = 0, bool Argmax = false)
{
    /// <summary>Throws a <see cref="SettingException"/> for a temperature ≤ 0 or not finite, or a top-k &lt; 0.</summary>
    public void Validate()
    {
        if (!(Temperature > 0f) || !float.IsFinite(Temperature)) throw new SettingException("Temperature", $"Temperature must be > 0, got {Temperature}.");
        if (TopK < 0) throw new SettingException("TopK", $"TopK must be ≥ 0 (0: all characters), got {TopK}.");
    }
}
