using System.CommandLine;

namespace Carousel.Cli;

/// <summary>
/// Runs the parsed command and turns the errors a user can cause (bad files, bad options) into one
/// clear line on stderr and a non-zero exit code, instead of a stack trace.
/// </summary>
internal static class CommandRunner
{
    public const int UsageError = 2;
    public const int Failure = 1;

    public static int Invoke(RootCommand root, string[] args)
    {
        try
        {
            return root.Parse(args).Invoke();
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return e is ArgumentException ? UsageError : Failure;
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
            Console.Error.WriteLine($"error: {e.Message}");
            return e is ArgumentException ? UsageError : Failure;
        }
    };

    private static bool IsUserError(Exception e) =>
        e is TrainingDivergedException or ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException or FormatException or NotSupportedException or InvalidOperationException;
}
