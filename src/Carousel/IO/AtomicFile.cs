using System.Text;

namespace Carousel.IO;

/// <summary>
/// Replaces files so that readers (and a crash) only ever see the old content or the complete new content:
/// the new content goes to a temporary file in the same directory, is flushed to disk, and is then renamed over
/// the target. On failure the temporary file is deleted and the target is left as it was.
/// </summary>
/// <remarks>
/// The rename is atomic on POSIX file systems and on NTFS. The directory entry itself is not fsynced, so after a
/// power cut the rename may be lost, but the target is then still the complete old file, never a partial one.
/// A process killed mid-write can leave a temporary file named ".{name}.{random}.tmp" beside the target.
/// The replaced file gets default permissions, not those of the file it replaces.
/// </remarks>
public static class AtomicFile
{
    private static readonly UTF8Encoding Utf8WithoutBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes the file through <paramref name="write"/>, which must not dispose the stream.
    /// If it throws, the exception propagates and the existing file is untouched.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var transaction = new AtomicFileTransaction(path);
        write(transaction.Stream);
        transaction.Commit();
    }

    /// <summary>Replaces the file's content with <paramref name="bytes"/>, atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var transaction = new AtomicFileTransaction(path);
        transaction.Stream.Write(bytes);
        transaction.Commit();
    }

    /// <summary>Replaces the file's content with <paramref name="text"/> as UTF-8 without a byte order mark, atomically.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, Utf8WithoutBom, bufferSize: -1, leaveOpen: true);
            writer.Write(text);
        });
    }
}

/// <summary>A temporary file that either becomes the target (<see cref="Commit"/>) or is deleted (dispose without commit).</summary>
internal sealed class AtomicFileTransaction : IDisposable
{
    private readonly string targetPath;
    private readonly string temporaryPath;
    private readonly FileStream stream;
    private bool committed;

    public AtomicFileTransaction(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        targetPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(targetPath) ?? throw new IOException($"'{path}' is not a file path.");
        if (Directory.Exists(targetPath)) throw new IOException($"'{targetPath}' is a directory.");
        // Same directory, so the final rename never crosses file systems (a cross-device move would copy, not rename).
        temporaryPath = Path.Combine(directory, $".{Path.GetFileName(targetPath)}.{Guid.NewGuid():N}.tmp");
        stream = new FileStream(temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
    }

    public Stream Stream => stream;

    public void Commit()
    {
        stream.Flush(flushToDisk: true);
        stream.Dispose();
        File.Move(temporaryPath, targetPath, overwrite: true);
        committed = true;
    }

    public void Dispose()
    {
        if (committed) return;
        // Best effort on the failure path: the exception that got us here matters more than a leftover temporary
        // file, and disposing flushes buffered bytes, which fails again on a full disk.
        try
        {
            stream.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        try
        {
            File.Delete(temporaryPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
