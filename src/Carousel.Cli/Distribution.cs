using System.CommandLine;
using System.CommandLine.Parsing;
using Carousel.Distributed;

namespace Carousel.Cli;

/// <summary>
/// Data-parallel training for every train command: under <c>mpirun -np N</c> (found by the variables MPI launchers set)
/// or with <c>--distributed</c>, a train command starts MPI (<see cref="MpiCommunicator"/>) and trains its shard of every
/// batch; otherwise it runs alone as ever. Rank 0 alone shows progress and writes; an error on one process ends the whole
/// run at once (MPI_Abort) after its <c>error:</c> line, so no process waits for a partner that is gone.
/// </summary>
internal static class Distribution
{
    /// <summary>The --distributed flag every train command takes.</summary>
    public static Option<bool> CreateOption() => new("--distributed")
    {
        Description = "Train data-parallel over MPI (Open MPI): run as `mpirun -np N carousel …`; implied when started by mpirun. " +
                      "--batch-size stays the global batch, each process trains its share of it.",
    };

    private static ICommunicator? _running;

    /// <summary>The rank an MPI launcher gave this process, before MPI starts (0 when none).</summary>
    public static int LauncherRank =>
        int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_RANK") ?? Environment.GetEnvironmentVariable("PMIX_RANK")
                     ?? Environment.GetEnvironmentVariable("PMI_RANK"), out int rank) ? rank : 0;

    /// <summary>Whether the command line asks for --distributed (on a command that has it).</summary>
    public static bool Requested(ParseResult parse) =>
        parse.CommandResult.Children.OfType<OptionResult>().Any(r => r.Option.Name == "--distributed" && r.GetValueOrDefault<bool>());

    /// <summary>The processes of the command running: MPI's once <see cref="StartFor"/> started it, else <see cref="SingleProcess"/>.</summary>
    public static ICommunicator Communicator => _running ?? SingleProcess.Instance;

    /// <summary>
    /// Before a command that takes --distributed does any work: starts MPI when it is asked for or the process was launched
    /// by MPI (rank 0 keeps the console's output, the others write nothing but errors). On the thread that will train.
    /// </summary>
    /// <exception cref="MpiNotInstalledException">MPI was asked for and Open MPI's library is missing.</exception>
    public static void StartFor(ParseResult parse)
    {
        _running = null;
        if (!parse.CommandResult.Command.Options.Any(o => o.Name == "--distributed")) return;
        if (!Requested(parse) && !MpiCommunicator.LaunchedByMpi) return;
        var communicator = MpiCommunicator.Start();
        _running = communicator;
        if (communicator.Rank != 0) Console.SetOut(TextWriter.Null);
    }

    /// <summary>
    /// After a command that ended normally has said what it says (CommandRunner): MPI_Finalize on every process, which also
    /// waits for them all, so no process ends the job before rank 0 has printed its last line.
    /// </summary>
    public static void Finish()
    {
        var running = _running;
        _running = null;
        running?.Dispose();
    }

    /// <summary>
    /// Before a process other than rank 0 reports an error: under mpirun every process usually meets the same error (the same
    /// command line, the same data), and the first to end ends them all. Waiting a moment lets rank 0 say it once; an error
    /// of this process alone is still reported, a moment later.
    /// </summary>
    public static void LetRankZeroSpeakFirst()
    {
        if (LauncherRank != 0) Thread.Sleep(TimeSpan.FromSeconds(2));
    }

    /// <summary>After an error was reported: ends every process of a distributed run with <paramref name="exitCode"/>.</summary>
    public static void AbortIfRunning(int exitCode)
    {
        var running = _running;
        if (running is null) return;
        _running = null;
        Console.Out.Flush();
        Console.Error.Flush();
        if (running.Size > 1) running.Abort(exitCode);
        else running.Dispose();
    }
}
