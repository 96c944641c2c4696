namespace Carousel.Training;

/// <summary>
/// Holds a run's directory for one run at a time: DIR/.lock opened for writing and shared with no one. A second run
/// into the same directory is refused while the first holds it; a run that crashed holds nothing (the operating system
/// releases the lock with the process), so its directory is never stuck. Opening it also proves the directory writable.
/// </summary>
public sealed class RunLock : IDisposable
{
    /// <summary>The lock file's name in a run's directory.</summary>
    public const string FileName = ".lock";

    private readonly FileStream _file;

    private RunLock(FileStream file) => _file = file;

    /// <summary>Creates the directory if needed and takes its lock; a directory held by another run, or not writable, is a clear error.</summary>
    public static RunLock Acquire(string directory)
    {
        if (File.Exists(directory)) throw new IOException($"'{directory}' is a file; a run needs a directory.");
        try
        {
            Directory.CreateDirectory(directory);
            var file = new FileStream(Path.Combine(directory, FileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            RemoveStaleTemporaries(directory);
            return new RunLock(file);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new UnauthorizedAccessException($"'{directory}' is not writable, so nothing could be saved there: {e.Message}", e);
        }
        catch (IOException e) when (File.Exists(Path.Combine(directory, FileName)))
        {
            throw new IOException($"'{directory}' is in use by another training run (it holds {FileName}); wait for it to end or choose another directory.", e);
        }
    }

    /// <summary>
    /// Removes the temporaries an atomic write leaves when its process is killed mid-write (".{name}.{random}.tmp"), for
    /// the files a run writes. Only the run that holds the lock calls it, so no write of another run is in progress.
    /// </summary>
    private static void RemoveStaleTemporaries(string directory)
    {
        foreach (var name in new[] { ModelCheckpoint.FileName, ModelCheckpoint.WeightsFileName, LastCheckpoint.FileName, MetricsLog.FileName })
            foreach (var stale in Directory.EnumerateFiles(directory, $".{name}.*.tmp"))
                File.Delete(stale);
    }

    /// <summary>Releases the directory (the lock file goes with it).</summary>
    public void Dispose() => _file.Dispose();
}
