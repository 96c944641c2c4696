using System.CommandLine;
using Carousel.Cli;

namespace Carousel.Tests.Cli;

/// <summary>Console redirection is process-wide, so tests that run the CLI never run in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliCollection
{
    public const string Name = "CLI";
}

internal static class CliRunner
{
    /// <summary>
    /// Runs `carousel ARGS`. Whatever else a test checks, a run must not end in an internal error: a user's mistake that
    /// the CLI reports as a bug (exit 70, a stack trace) fails every test that makes that mistake.
    /// </summary>
    public static (int ExitCode, string Out, string Error) Run(params string[] args)
    {
        var result = RunAllowingInternalErrors(CarouselApp.CreateRoot(), args);
        Assert.True(result.ExitCode != CommandRunner.InternalError, $"`carousel {string.Join(' ', args)}` ended in an internal error:\n{result.Error}");
        return result;
    }

    /// <summary>Runs <paramref name="root"/> (the real command line, or one made for a test) as the CLI does, bugs included.</summary>
    public static (int ExitCode, string Out, string Error) RunAllowingInternalErrors(RootCommand root, params string[] args)
    {
        var oldOut = Console.Out; var oldError = Console.Error;
        var output = new StringWriter(); var error = new StringWriter();
        Console.SetOut(output); Console.SetError(error);
        try
        {
            int code = CommandRunner.Invoke(root, args);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(oldOut); Console.SetError(oldError);
        }
    }
}
