using System.CommandLine;

namespace Carousel.Cli;

/// <summary>
/// Runs the parsed command and turns the errors a user can cause (bad files, bad options) into one
/// clear line on stderr and a non-zero exit code, instead of a stack trace. The library names settings by their
/// .NET names (<see cref="SettingException"/>); the line shows the flags the user typed (<see cref="OptionNames"/>).
/// </summary>
internal static class CommandRunner
{
    public const int UsageError = 2;
    public const int Failure = 1;

    public static int Invoke(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        try
        {
            return parse.Invoke();
        }
        catch (Exception e) when (IsUserError(e))
        {
            return Report(e, parse.CommandResult.Command);
        }
    }

    /// <summary>Wraps an action so that user errors thrown inside it get the same treatment.</summary>
    public static Func<ParseResult, int> Guard(Func<ParseResult, int> action) => parse =>
    {
        try
        {
            return action(parse);
        }
        catch (Exception e) when (IsUserError(e))
        {
            return Report(e, parse.CommandResult.Command);
        }
    };

    private static int Report(Exception e, Command command)
    {
        Console.Error.WriteLine($"error: {OptionNames.Rename(e.Message, SettingNames.Of(e), command)}");
        return e is ArgumentException ? UsageError : Failure;
    }

    private static bool IsUserError(Exception e) =>
        e is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException or FormatException or NotSupportedException or InvalidOperationException
            or TrainingDivergedException;
}
