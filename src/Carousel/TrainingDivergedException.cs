namespace Carousel;

/// <summary>
/// The training loss stopped being a number (NaN or infinite): the run diverged, usually for too high a learning rate
/// or unclipped gradients. Not a bug but an outcome of the settings: what the run saved before is kept. Like
/// <see cref="SettingException"/>, the message names settings by their .NET property names ("lower LearningRate"),
/// listed in <see cref="Settings"/>, for a front end to show as its user knows them.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <param name="settings">The settings the message names (what to change), each written as a whole word.</param>
    public TrainingDivergedException(string message, params string[] settings) : base(message) => this.Naming(settings);

    /// <summary>The settings the message names.</summary>
    public IReadOnlyList<string> Settings => SettingNames.Of(this);
}
