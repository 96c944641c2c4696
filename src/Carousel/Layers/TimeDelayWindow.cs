namespace Carousel.Layers;

/// <summary>
/// The window of frames a time-delay layer (Waibel et al. 1989) sees: output step t of layer k reads the input frames
/// t + o·d_k for o = −<see cref="Before"/> … +<see cref="After"/>, d_k the layer's dilation. Stacked, the receptive field
/// of L layers is Σ_k (Before + After)·d_k + 1 frames.
/// </summary>
/// <param name="Before">Frames before t each layer sees (per unit of dilation): the past context.</param>
/// <param name="After">Frames after t each layer sees (per unit of dilation): the future context (0 for a causal layer).</param>
/// <param name="Dilations">The dilation of each layer (one per layer); null for 1, 2, 4, … (doubling per layer).</param>
public sealed record TimeDelayWindow(int Before = 2, int After = 2, IReadOnlyList<int>? Dilations = null)
{
    /// <summary>K: the frames each output reads, Before + After + 1.</summary>
    public int Taps => Before + After + 1;

    /// <summary>The dilation d_k of layer <paramref name="layer"/>: <see cref="Dilations"/>[k], or 2^k by default.</summary>
    public int Dilation(int layer) => Dilations?[layer] ?? 1 << Math.Min(layer, 30);

    /// <summary>Frames of input each output of the top layer of <paramref name="layers"/> depends on.</summary>
    public long ReceptiveField(int layers)
    {
        long field = 1;
        for (int k = 0; k < layers; k++) field += (long)(Before + After) * Dilation(k);
        return field;
    }

    /// <summary>Equal when the context and the dilations (element by element) are.</summary>
    public bool Equals(TimeDelayWindow? other) =>
        other is not null && Before == other.Before && After == other.After &&
        (Dilations is null ? other.Dilations is null : other.Dilations is not null && Dilations.SequenceEqual(other.Dilations));

    /// <summary>A hash of the context and the dilations.</summary>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Before);
        hash.Add(After);
        foreach (int d in Dilations ?? []) hash.Add(d);
        return hash.ToHashCode();
    }

    /// <summary>Throws a <see cref="SettingException"/> unless the context is ≥ 0 and there is one positive dilation per layer.</summary>
    public void Validate(int layers)
    {
        SettingException.Require(Before >= 0 && After >= 0, "TimeDelay", $"The time-delay context must be ≥ 0 frames before and after, got {Before},{After}.");
        SettingException.Require(Before + After < 1 << 16, "TimeDelay", $"The time-delay context {Before},{After} is too wide.");
        if (Dilations is null)
        {
            SettingException.Require(layers <= 20, "TimeDelay", $"The default dilations double per layer; give explicit ones for {layers} layers.");
            return;
        }
        SettingException.Require(Dilations.Count == layers, "TimeDelay", $"Give one dilation per layer: {layers} layers, {Dilations.Count} dilations.");
        foreach (int d in Dilations)
            SettingException.Require(d > 0 && d < 1 << 20, "TimeDelay", $"Dilations must be positive, got {d}.");
    }
}
