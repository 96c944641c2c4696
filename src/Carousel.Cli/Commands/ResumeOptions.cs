using System.CommandLine;
using Carousel.Training;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;

namespace Carousel.Cli.Commands;

/// <summary>
/// --resume and --overwrite of the task-model train commands, one rule for all: --resume reads DIR/last.safetensors
/// (the trainer then checks that data and options match); without it a directory that already holds a run is refused
/// unless --overwrite.
/// </summary>
/// <param name="lengthOptions">The options that set the run's length, as the --resume description names them.</param>
internal sealed class ResumeOptions(string lengthOptions = "--epochs")
{
    public readonly Option<bool> Resume = new("--resume")
    {
        Description = "Continue the run in --out exactly where it stopped (DIR/last.safetensors): give the same data and options; " +
                      $"{lengthOptions} may be raised, except under --schedule cosine (its curve is shaped for the length).",
    };
    public readonly Option<bool> Overwrite = new("--overwrite") { Description = "Train afresh even if --out already holds a run (its files are replaced)." };

    public IEnumerable<Option> All => [Resume, Overwrite];

    /// <summary>--out must name a directory this process can write or create, checked before any data is read: a regular file there is an error, not "a checkpoint".</summary>
    public static void RequireDirectory(string directory)
    {
        if (File.Exists(directory)) throw new UsageException($"--out '{directory}' is a file; give a directory for the run.");
        RunLock.RequireWritable(directory);
    }

    /// <summary>The run to continue, or null for a fresh one; errors before anything in <paramref name="directory"/> is touched.</summary>
    public LastCheckpoint? Prepare(ParseResult parse, string directory, string kind)
    {
        RequireDirectory(directory);
        if (parse.GetValue(Resume))
        {
            if (parse.GetValue(Overwrite)) throw new UsageException("--resume continues the run in --out and --overwrite replaces it; give one of them.");
            return LastCheckpoint.Load(directory, kind);
        }
        if (!parse.GetValue(Overwrite) && (File.Exists(ModelCheckpoint.Resolve(directory)) || File.Exists(LastCheckpoint.PathIn(directory))))
            throw new UsageException($"'{directory}' already holds a checkpoint; continue it with --resume, choose another --out or pass --overwrite to replace it.");
        return null;
    }
}
