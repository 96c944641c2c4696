namespace Carousel;

/// <summary>
/// The settings an exception's message names by their .NET property names ("lower LearningRate"), so that a front end
/// can write them as its user knows them (the CLI writes --lr). A <see cref="SettingException"/> and a
/// <see cref="TrainingDivergedException"/> always carry them; any other exception about what a user chose, such as an
/// <see cref="InvalidDataException"/> whose message says which setting names a missing field, gets them with
/// <see cref="Naming{TException}"/>. Kept in <see cref="Exception.Data"/>.
/// </summary>
public static class SettingNames
{
    private const string Key = "Carousel.SettingNames";

    /// <summary>Records that the message of <paramref name="exception"/> names <paramref name="settings"/>, each as a whole word.</summary>
    public static TException Naming<TException>(this TException exception, params string[] settings) where TException : Exception
    {
        exception.Data[Key] = Of(exception).Concat(settings).Distinct().ToArray();
        return exception;
    }

    /// <summary>The settings the message of <paramref name="exception"/> names (none when not recorded).</summary>
    public static IReadOnlyList<string> Of(Exception exception) => exception.Data[Key] as string[] ?? [];
}
