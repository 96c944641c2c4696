namespace Carousel.Data.Tasks;

/// <summary>
/// The multiplication problem (Hochreiter &amp; Schmidhuber 1997, Experiment 5): values uniform in [0, 1],
/// target at the sequence end X1 · X2; X1 = 1.0 when the first pair is marked. See
/// <see cref="MarkedPairProblem"/> for the layout: inputs [T, B, 2], targets [B], lengths [B].
/// </summary>
public sealed class MultiplicationProblem : MarkedPairProblem
{
    /// <summary>A generator of multiplication-problem sequences.</summary>
    /// <param name="minLength">T, the minimal length (paper: 100); at least 22.</param>
    /// <param name="variableLength">Lengths uniform in [T, T + T/10] as in the paper; false for exactly T.</param>
    /// <param name="seed">Seed; the same seed gives the same batches in the same order.</param>
    public MultiplicationProblem(int minLength = 100, bool variableLength = true, int seed = 0)
        : base(minLength, variableLength, seed) { }

    /// <inheritdoc/>
    protected override float ValueMin => 0f;

    /// <inheritdoc/>
    protected override float ValueMax => 1f;

    /// <inheritdoc/>
    protected override float FirstPairValue => 1f;

    /// <inheritdoc/>
    public override float Target(float x1, float x2) => x1 * x2;
}
