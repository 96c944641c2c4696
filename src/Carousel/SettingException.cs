namespace Carousel;

/// <summary>
/// A setting that cannot be used: a value of an options record (of a model, trainer or experiment) that is impossible
/// ("LearningRate must be positive, got -1.") or does not go with another setting, or a saved run that cannot be resumed
/// with the settings given. The message names settings by their .NET property names, never by a command-line flag, and
/// lists them in <see cref="Settings"/>, so that a front end can show them as its user knows them (the CLI writes --lr
/// for LearningRate). What a user chose is refused with this type; a wrong argument from code stays a plain
/// <see cref="ArgumentException"/> (a bug, not a choice). <see cref="SettingNames.Of"/> reads the settings of any exception.
/// </summary>
public class SettingException : ArgumentException
{
    /// <param name="setting">The setting whose value is refused, as a .NET property name ("LearningRate").</param>
    /// <param name="message">What is wrong with the value, naming <paramref name="setting"/> and <paramref name="alsoNamed"/> as written.</param>
    /// <param name="alsoNamed">Other settings the message names ("DecayFrom goes with Schedule step").</param>
    public SettingException(string setting, string message, params string[] alsoNamed) : base(message)
    {
        Setting = setting;
        this.Naming([setting, .. alsoNamed]);
    }

    /// <summary>The setting whose value is refused.</summary>
    public string Setting { get; }

    /// <summary>Every setting the message names, each written as a whole word: <see cref="Setting"/> first.</summary>
    public IReadOnlyList<string> Settings => SettingNames.Of(this);

    /// <summary>The refused setting's name (<see cref="Setting"/>), as <see cref="ArgumentException.ParamName"/> reports it.</summary>
    public override string ParamName => Setting;

    /// <summary>Throws a <see cref="SettingException"/> about <paramref name="setting"/> unless <paramref name="ok"/>.</summary>
    public static void Require(bool ok, string setting, string message, params string[] alsoNamed)
    {
        if (!ok) throw new SettingException(setting, message, alsoNamed);
    }
}
