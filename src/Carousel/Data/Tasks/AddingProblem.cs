namespace Carousel.Data.Tasks;

/// <summary>
/// The adding problem (Hochreiter &amp; Schmidhuber 1997, Experiment 4): values uniform in [−1, 1], target at
/// the sequence end 0.5 + (X1 + X2) / 4, the sum scaled into [0, 1]. See <see cref="MarkedPairProblem"/> for
/// the layout: inputs [T, B, 2], targets [B], lengths [B].
/// </summary>
public sealed class AddingProblem : MarkedPairProblem
{
    /// <summary>A generator of adding-problem sequences.</summary>
    /// <param name="minLength">T, the minimal length (paper: 100, 500, 1000); at least 22.</param>
    /// <param name="variableLength">Lengths uniform in [T, T + T/10] as in the paper; false for exactly T.</param>
    /// <param name="seed">Seed; the same seed gives the same batches in the same order.</param>
    public AddingProblem(int minLength = 100, bool variableLength = true, int seed = 0)
        : base(minLength, variableLength, seed) { }

    /// <inheritdoc/>
    protected override float ValueMin => -1f;

    /// <inheritdoc/>
    protected override float ValueMax => 1f;

    /// <inheritdoc/>
    protected override float FirstPairValue => 0f;

    /// <inheritdoc/>
    public override float Target(float x1, float x2) => (float)(0.5 + ((double)x1 + x2) / 4.0);
}
