namespace Carousel.Optimizers;

/// <summary>
/// The learning-rate schedule a training run names, the same for every trainer (the training options' Schedule,
/// WarmupSteps, DecayRate and DecayFrom): constant, step (×<see cref="DecayRate"/> every epoch from epoch
/// <see cref="DecayFrom"/> on) or cosine (down to 0 at the last step). <see cref="WarmupSteps"/> ramps the rate up
/// linearly from 0 first, whatever the schedule.
/// </summary>
/// <param name="Name">The schedule: constant, step or cosine (see <see cref="Names"/>).</param>
/// <param name="WarmupSteps">Optimizer steps of linear ramp-up from 0 before the schedule (0 for none).</param>
/// <param name="DecayRate">The step schedule's multiplier per epoch, in (0, 1].</param>
/// <param name="DecayFrom">First epoch (1-based) with a decayed rate; 0 with step: after ten epochs, as char-rnn.</param>
public sealed record LearningRateScheduleSettings(string Name = "constant", long WarmupSteps = 0, float DecayRate = 0.97f, int DecayFrom = 0)
{
    /// <summary>The schedule names <see cref="Create"/> knows, as the options' error messages list them.</summary>
    public const string Names = "constant, step or cosine";

    /// <summary>char-rnn's default for the step schedule: ten epochs at the full rate.</summary>
    public const int DefaultDecayFrom = 11;

    /// <summary>Whether the curve depends on the run's planned length (cosine ends at the last step), so that length may not change on resume.</summary>
    public bool ShapedByLength => Name == "cosine";

    /// <summary>
    /// Refuses what cannot be meant with a <see cref="SettingException"/> that names the settings as the training options
    /// do (<see cref="Name"/> is their Schedule).
    /// </summary>
    public void Validate()
    {
        if (Name is not ("constant" or "step" or "cosine")) throw new SettingException("Schedule", $"Unknown Schedule '{Name}': expected {Names}.");
        if (WarmupSteps < 0) throw new SettingException("WarmupSteps", $"WarmupSteps must be ≥ 0, got {WarmupSteps}.");
        if (!(DecayRate > 0 && DecayRate <= 1)) throw new SettingException("DecayRate", $"DecayRate must be in (0, 1], got {DecayRate}.");
        if (DecayFrom < 0) throw new SettingException("DecayFrom", $"DecayFrom must be ≥ 0, got {DecayFrom}.");
        if (DecayFrom > 0 && Name != "step") throw new SettingException("DecayFrom", $"DecayFrom goes with Schedule step, not {Name}.", "Schedule");
    }

    /// <summary>
    /// The schedule for a run of <paramref name="totalSteps"/> optimizer steps, <paramref name="stepsPerEpoch"/> to an
    /// epoch. The character model's own knobs, in steps, override the step decay's period (<paramref name="decayEverySteps"/>)
    /// and start (<paramref name="decayAfterSteps"/>) when positive.
    /// </summary>
    public LearningRateSchedule Create(long totalSteps, long stepsPerEpoch, long decayEverySteps = 0, long decayAfterSteps = 0)
    {
        Validate();
        stepsPerEpoch = Math.Max(1, stepsPerEpoch);
        if (Name == "cosine") return new LearningRateSchedule.Cosine(totalSteps, WarmupSteps);
        LearningRateSchedule schedule = Name == "step"
            ? new LearningRateSchedule.StepDecay(decayEverySteps > 0 ? decayEverySteps : stepsPerEpoch, DecayRate,
                decayAfterSteps > 0 ? decayAfterSteps : ((DecayFrom > 0 ? DecayFrom : DefaultDecayFrom) - 1) * stepsPerEpoch)
            : new LearningRateSchedule.Constant();
        return WarmupSteps > 0 ? new LearningRateSchedule.WarmUp(WarmupSteps, schedule) : schedule;
    }
}
