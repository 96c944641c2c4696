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
        RequireWritable(directory);
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
    /// Checks, before a run does any work, that <paramref name="directory"/> is a directory this process can write, or one
    /// it can create: not a file, not below a file, and a file can be created in it (or in the nearest folder above it that
    /// exists). A read-only directory, one below a regular file or in a file system that takes no new files (/proc) would
    /// otherwise fail only at the first save, after the first evaluation or epoch. Leaves nothing behind: the probe file
    /// is deleted as it is closed, and no directory is created.
    /// </summary>
    /// <exception cref="IOException">The path, or a folder on it, is a file.</exception>
    /// <exception cref="UnauthorizedAccessException">No file can be created there.</exception>
    public static void RequireWritable(string directory)
    {
        string full = Path.GetFullPath(directory);
        if (File.Exists(full)) throw new IOException($"'{directory}' is a file; a run needs a directory.");
        string existing = full;
        while (!Directory.Exists(existing))
        {
            string? parent = Path.GetDirectoryName(existing);
            if (parent is null) break;
            if (File.Exists(parent)) throw new IOException($"'{directory}' cannot be created: '{parent}' is a file.");
            existing = parent;
        }
        try
        {
            using var probe = new FileStream(Path.Combine(existing, $".carousel-write-test.{Guid.NewGuid():N}.tmp"), FileMode.CreateNew, FileAccess.Write,
                FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UnauthorizedAccessException(existing == full
                ? $"'{directory}' is not writable: no file can be created in it, so nothing could be saved."
                : $"'{directory}' cannot be created: no file or folder can be created in '{existing}'.", e);
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
