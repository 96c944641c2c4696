namespace Carousel;

/// <summary>
/// The training loss, the gradient or an evaluation stopped being a number (NaN or infinite): the run diverged, usually
/// for too high a learning rate or unclipped gradients. Not a bug but an outcome of the settings: the run stopped at
/// <see cref="Step"/> and what it saved before is kept. Like <see cref="SettingException"/>, the message names settings by
/// their .NET property names ("lower LearningRate"), listed in <see cref="Settings"/>, for a front end to show as its user knows them.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <param name="step">The optimizer step (1-based) whose batch or evaluation diverged.</param>
    /// <param name="message">What became infinite or NaN, and what to change.</param>
    /// <param name="settings">The settings the message names (what to change), each written as a whole word.</param>
    public TrainingDivergedException(long step, string message, params string[] settings) : base(message)
    {
        Step = step;
        this.Naming(settings);
    }

    /// <summary>The optimizer step (1-based) whose batch or evaluation diverged.</summary>
    public long Step { get; }

    /// <summary>The settings the message names.</summary>
    public IReadOnlyList<string> Settings => SettingNames.Of(this);
}
