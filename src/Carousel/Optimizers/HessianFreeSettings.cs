namespace Carousel.Optimizers;

/// <summary>
/// The knobs of Hessian-free optimisation (<see cref="HessianFree"/>; Martens 2010, Martens &amp; Sutskever 2011). The
/// defaults are the papers' where they give one: CG warm-started from 0.95 times the previous solution, Martens' relative
/// progress test with ε = 5·10⁻⁴, iterates kept for backtracking at ⌈1.3^j⌉, λ ×3/2 when ρ &lt; 1/4 and ×2/3 when ρ &gt; 3/4.
/// </summary>
public sealed record HessianFreeSettings
{
    /// <summary>λ at the first step: the Levenberg–Marquardt (Tikhonov) damping added to the curvature, λ·I.</summary>
    public float InitialDamping { get; init; } = 1f;

    /// <summary>μ: the structural damping λ·μ on the hidden states' changes (Martens &amp; Sutskever 2011); 0 turns it off.</summary>
    public float StructuralDamping { get; init; } = 0.03f;

    /// <summary>CG starts from this times the previous step's last CG iterate (Martens' ζ); 0 starts from zero.</summary>
    public float CgDecay { get; init; } = 0.95f;

    /// <summary>The most CG iterations per step.</summary>
    public int MaxCgIterations { get; init; } = 250;

    /// <summary>The fewest CG iterations per step before the progress test may stop it.</summary>
    public int MinCgIterations { get; init; } = 10;

    /// <summary>
    /// ε of Martens' stopping test: stop at iteration i when the quadratic φ improved by less than a relative k·ε over the
    /// last k = max(10, 0.1·i) iterations.
    /// </summary>
    public float CgTolerance { get; init; } = 5e-4f;

    /// <summary>The line search along the chosen direction: shrink its length by 0.8 until the loss falls enough (Armijo, c = 10⁻²).</summary>
    public bool LineSearch { get; init; } = true;

    /// <summary>Throws a <see cref="SettingException"/> naming the first knob out of range.</summary>
    public void Validate()
    {
        SettingException.Require(InitialDamping > 0 && float.IsFinite(InitialDamping), "HfDamping", $"HfDamping (the initial λ) must be positive, got {InitialDamping}.");
        SettingException.Require(StructuralDamping >= 0 && float.IsFinite(StructuralDamping), "HfStructuralDamping", $"HfStructuralDamping (μ) must be ≥ 0, got {StructuralDamping}.");
        SettingException.Require(CgDecay is >= 0 and <= 1, "HfCgDecay", $"HfCgDecay must be in [0, 1], got {CgDecay}.");
        SettingException.Require(MaxCgIterations > 0, "HfMaxCg", $"HfMaxCg must be positive, got {MaxCgIterations}.");
        SettingException.Require(MinCgIterations > 0 && MinCgIterations <= MaxCgIterations, "HfMinCg",
            $"HfMinCg must be in 1..HfMaxCg ({MaxCgIterations}), got {MinCgIterations}.", "HfMaxCg");
        SettingException.Require(CgTolerance > 0 && float.IsFinite(CgTolerance), "HfCgTolerance", $"HfCgTolerance must be positive, got {CgTolerance}.");
    }
}
