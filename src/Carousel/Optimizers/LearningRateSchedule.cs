namespace Carousel.Optimizers;

/// <summary>The learning rate as a function of the step (1-based) out of a planned total.</summary>
public abstract record LearningRateSchedule
{
    /// <summary>The learning rate for 1-based <paramref name="step"/>, as a multiple of <paramref name="baseRate"/>.</summary>
    public abstract float At(long step, float baseRate);

    /// <summary>Whether the curve is shaped for its planned total (cosine): a run resumed to another length would leave it.</summary>
    public virtual bool ShapedByLength => false;

    /// <summary>The same rate throughout.</summary>
    public sealed record Constant : LearningRateSchedule
    {
        /// <inheritdoc/>
        public override float At(long step, float baseRate) => baseRate;
    }

    /// <summary>char-rnn's decay: multiply by <paramref name="Factor"/> every <paramref name="Every"/> steps, starting after <paramref name="Start"/> steps.</summary>
    /// <param name="Every">Steps between two decays.</param>
    /// <param name="Factor">The multiplier applied at each decay, e.g. 0.97.</param>
    /// <param name="Start">Steps at the full rate before the first decay.</param>
    public sealed record StepDecay(long Every, float Factor, long Start = 0) : LearningRateSchedule
    {
        /// <inheritdoc/>
        public override float At(long step, float baseRate) =>
            step <= Start ? baseRate : baseRate * MathF.Pow(Factor, (step - Start - 1) / Every + 1);
    }

    /// <summary>Linear warm-up from 0 over <paramref name="WarmupSteps"/>, then a half cosine down to <paramref name="MinimumFraction"/>·base at <paramref name="TotalSteps"/>.</summary>
    /// <param name="TotalSteps">The planned length of the run; the rate reaches its minimum here and stays there.</param>
    /// <param name="WarmupSteps">Steps of linear ramp-up from 0 (0 for none).</param>
    /// <param name="MinimumFraction">The final rate as a fraction of the base rate.</param>
    public sealed record Cosine(long TotalSteps, long WarmupSteps = 0, float MinimumFraction = 0f) : LearningRateSchedule
    {
        /// <inheritdoc/>
        public override bool ShapedByLength => true;

        /// <inheritdoc/>
        public override float At(long step, float baseRate)
        {
            if (step <= WarmupSteps && WarmupSteps > 0) return baseRate * step / WarmupSteps;
            double progress = Math.Clamp((double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps), 0, 1);
            double fraction = MinimumFraction + (1 - MinimumFraction) * 0.5 * (1 + Math.Cos(Math.PI * progress));
            return (float)(baseRate * fraction);
        }
    }

    /// <summary>Linear warm-up from 0 over <paramref name="WarmupSteps"/>, then <paramref name="Then"/> (which counts steps from the start of training).</summary>
    /// <param name="WarmupSteps">Steps of linear ramp-up from 0; must be positive.</param>
    /// <param name="Then">The schedule after the warm-up.</param>
    public sealed record WarmUp(long WarmupSteps, LearningRateSchedule Then) : LearningRateSchedule
    {
        /// <inheritdoc/>
        public override bool ShapedByLength => Then.ShapedByLength;

        /// <inheritdoc/>
        public override float At(long step, float baseRate) =>
            step <= WarmupSteps ? baseRate * step / WarmupSteps : Then.At(step, baseRate);
    }
}
