namespace Carousel.Optimizers;

/// <summary>
/// What a Hessian-free step (<see cref="HessianFree"/>) needs from the model it trains, beyond a gradient: the loss at
/// trial weights and Gauss-Newton curvature products. All vectors are the model's weights flattened, in one fixed order,
/// of length <see cref="Dimension"/>. The gradient batch and the (smaller) curvature batch are the model's to choose.
/// </summary>
public interface ICurvatureProducts
{
    /// <summary>n, the number of weights: the length of every vector below.</summary>
    int Dimension { get; }

    /// <summary>The loss on the gradient batch at the current weights; writes its gradient into <paramref name="gradient"/> [n].</summary>
    double LossAndGradient(Span<float> gradient);

    /// <summary>The loss on the gradient batch at the current weights plus <paramref name="delta"/> [n]; the weights are left as they were.</summary>
    double LossAt(ReadOnlySpan<float> delta);

    /// <summary>
    /// result [n] = G·v + <paramref name="structuralDamping"/>·S·v on the curvature batch at the current weights: G = Jᵀ·H_L·J is
    /// the Gauss-Newton matrix (J the Jacobian of the outputs, H_L the Hessian of the matching loss in the outputs) and
    /// S = J_hᵀ·J_h / B the curvature of the structural-damping penalty ½·Σ_t ‖Δh_t‖² / B on the hidden states
    /// (Martens &amp; Sutskever 2011). Both are positive semi-definite.
    /// </summary>
    void CurvatureProduct(ReadOnlySpan<float> v, float structuralDamping, Span<float> result);

    /// <summary>Adds <paramref name="delta"/> [n] to the weights.</summary>
    void AddToWeights(ReadOnlySpan<float> delta);
}
