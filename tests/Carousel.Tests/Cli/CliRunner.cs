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

/// <summary>A fresh temporary directory, deleted afterwards.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("carousel-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string text)
    {
        System.IO.File.WriteAllText(File(name), text);
        return File(name);
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }

    /// <summary>A small text with enough structure to learn a little from.</summary>
    public static string SampleText(int repeats = 40)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < repeats; i++) sb.Append("the quick brown fox jumps over the lazy dog. ").Append(i % 7).Append('\n');
        return sb.ToString();
    }
}
