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
    public static (int ExitCode, string Out, string Error) Run(params string[] args)
    {
        var oldOut = Console.Out; var oldError = Console.Error;
        var output = new StringWriter(); var error = new StringWriter();
        Console.SetOut(output); Console.SetError(error);
        try
        {
            int code = CarouselApp.Run(args);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(oldOut); Console.SetError(oldError);
        }
    }
}
