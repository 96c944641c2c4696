using System.CommandLine;
using System.CommandLine.Parsing;

namespace Carousel.Cli;

/// <summary>
/// Runs the parsed command and reports what went wrong, in one place. Only what the user can cause and fix is a user
/// error: one line <c>error: message</c> on stderr, with the library's setting names turned into the flags the user
/// typed (<see cref="OptionNames"/>), and exit code 2 for a bad command line (<see cref="UsageException"/>,
/// <see cref="SettingException"/>) or 1 for bad files or data, a failed read or write, and a run that diverged
/// (<see cref="InvalidDataException"/>, <see cref="IOException"/>, <see cref="UnauthorizedAccessException"/>,
/// <see cref="TrainingDivergedException"/>; also <see cref="OutOfMemoryException"/>: sizes beyond the machine). A command line
/// System.CommandLine cannot parse (an unknown or missing option, a value of the wrong type) is a usage error too, reported
/// the same way, with a pointer to --help. Anything else is a bug: <c>error: internal error: message</c>, the
/// exception with its stack trace, and exit code 70 (EX_SOFTWARE).
/// </summary>
/// <remarks>
/// The stack trace of a bug is always printed rather than behind a --verbose flag: a bug may show only after hours of
/// training, and the trace is what a report needs, so it should not take a second run to get it.
/// </remarks>
internal static class CommandRunner
{
    /// <summary>A bad command line: an impossible, missing or conflicting option or argument.</summary>
    public const int UsageError = 2;
    /// <summary>Bad files or data, a failed read or write, a run that diverged; also "the experiment did not succeed".</summary>
    public const int Failure = 1;
    /// <summary>A bug (sysexits.h's EX_SOFTWARE).</summary>
    public const int InternalError = 70;

    public static int Invoke(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // An unknown option, a missing one, a value of the wrong type: System.CommandLine's own messages, our form.
            Distribution.LetRankZeroSpeakFirst();
            foreach (var error in parse.Errors) Console.Error.WriteLine($"error: {error.Message}");
            Console.Error.WriteLine($"See '{CommandPath(parse.CommandResult.Command)} --help'.");
            return UsageError;
        }
        if (parse.CommandResult.Children.OfType<OptionResult>().FirstOrDefault(r => WrittenPaths.Contains(r.Option.Name) &&
                r.Tokens.Any(t => string.IsNullOrWhiteSpace(t.Value))) is { } empty)
        {
            Console.Error.WriteLine($"error: {empty.Option.Name} needs a path, got an empty one.");
            return UsageError;
        }
        try
        {
            Distribution.StartFor(parse);
            int code = parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            Distribution.Finish();
            return code;
        }
        catch (Exception e)
        {
            int code = Report(e, parse.CommandResult.Command);
            Distribution.AbortIfRunning(code);
            return code;
        }
    }

    /// <summary>Wraps a command's action so that whatever it throws is reported by <see cref="Report"/>.</summary>
    public static Func<ParseResult, int> Guard(Func<ParseResult, int> action) => parse =>
    {
        try
        {
            return action(parse);
        }
        catch (Exception e)
        {
            int code = Report(e, parse.CommandResult.Command);
            Distribution.AbortIfRunning(code);
            return code;
        }
    };

    /// <summary>
    /// The options that name a file or directory a command writes. An empty one is refused here, before any work: the
    /// library would find out only when it first writes, which for a training run may be hours later.
    /// (Files a command reads are checked by their readers as they open them, first thing.)
    /// </summary>
    private static readonly HashSet<string> WrittenPaths = ["--out", "--csv", "--errors", "--onnx"];

    /// <summary>"carousel task train": how the user calls <paramref name="command"/>.</summary>
    internal static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
            names.Add(c is RootCommand ? "carousel" : c.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>
    /// What the user reads when memory ran out despite the estimate every trainer checks first (a run near the limit,
    /// memory other processes took meanwhile): .NET's own message only when it says more than "out of memory".
    /// </summary>
    private static string OutOfMemory(Exception e)
    {
        bool saysNothing = e.Message == new OutOfMemoryException().Message || e.Message.StartsWith("Exception of type", StringComparison.Ordinal);
        string detail = saysNothing ? "" : $": {e.Message.TrimEnd('.')}";
        return $"out of memory{detail} (this process may use {Carousel.IO.MemoryLimit.OfThisProcess()}). Ask for smaller sizes (hidden units, layers, batch, lengths).";
    }

    /// <summary>Writes what went wrong to stderr and returns the exit code; <paramref name="command"/> is the one that ran (for its flags).</summary>
    internal static int Report(Exception e, Command command)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } single) e = single.InnerExceptions[0];
        Distribution.LetRankZeroSpeakFirst();
        var (code, message) = e switch
        {
            UsageException => (UsageError, e.Message),
            SettingException => (UsageError, OptionNames.Rename(e.Message, SettingNames.Of(e), command)),
            TrainingDivergedException or InvalidDataException or IOException or UnauthorizedAccessException =>
                (Failure, OptionNames.Rename(e.Message, SettingNames.Of(e), command)),
            OutOfMemoryException => (Failure, OutOfMemory(e)),
            _ => (InternalError, null),
        };
        if (message is not null)
        {
            Console.Error.WriteLine($"error: {message}");
            return code;
        }
        Console.Error.WriteLine($"error: internal error: {e.Message}");
        Console.Error.WriteLine(e.ToString());
        Console.Error.WriteLine("This is a bug in Carousel, not a mistake in the command line; please report it with the lines above.");
        return InternalError;
    }
}
