namespace Carousel.Optimizers;

/// <summary>
/// How SGD's momentum μ changes with the step: constant, or the schedule of Sutskever, Martens, Dahl &amp; Hinton (2013),
/// μ_t = min(1 − 2^(−1 − log₂(⌊t/250⌋ + 1)), μ_max): 0.5 for the first 250 updates, 0.75 for the next 250, 0.833 up to
/// 750, 0.875 up to 1000, … approaching 1 until it reaches μ_max.
/// </summary>
/// <param name="Name">"constant" (μ throughout) or "sutskever" (the schedule, capped at <see cref="Maximum"/>).</param>
/// <param name="Maximum">μ_max, the cap of the sutskever schedule.</param>
public sealed record MomentumSchedule(string Name = "constant", float Maximum = 0.99f)
{
    /// <summary>The schedule names: constant or sutskever.</summary>
    public const string Names = "constant or sutskever";

    /// <summary>Whether the momentum changes with the step.</summary>
    public bool IsScheduled => Name == "sutskever";

    /// <summary>μ at update <paramref name="t"/> (0 for the first), with <paramref name="constant"/> the momentum of a constant schedule.</summary>
    public float At(long t, float constant)
    {
        if (!IsScheduled) return constant;
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        double mu = 1 - Math.Pow(2, -1 - Math.Log2(t / 250 + 1));
        return (float)Math.Min(mu, Maximum);
    }

    /// <summary>Refuses an unknown name or a cap outside [0, 1).</summary>
    public void Validate()
    {
        SettingException.Require(Name is "constant" or "sutskever", "MomentumSchedule", $"Unknown MomentumSchedule '{Name}': expected {Names}.");
        SettingException.Require(Maximum is >= 0 and < 1, "MomentumMax", $"MomentumMax must be in [0, 1), got {Maximum}.");
    }
}
