using System.Text;
using Carousel.IO;

namespace Carousel.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory directory = new();

    public void Dispose() => directory.Dispose();

    [Fact]
    public void WritesNewFile()
    {
        string path = directory.File("new.bin");

        AtomicFile.Write(path, stream => stream.Write([1, 2, 3]));

        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(["new.bin"], directory.FileNames());
    }

    [Fact]
    public void ReplacesExistingFile()
    {
        string path = directory.File("model.safetensors");
        File.WriteAllText(path, "a much longer old content that must not survive in any part");

        AtomicFile.WriteAllText(path, "new");

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(["model.safetensors"], directory.FileNames());
    }

    [Fact]
    public void FailingWriterLeavesOldFileIntactAndNoTemporaryFiles()
    {
        string path = directory.File("checkpoint.safetensors");
        File.WriteAllText(path, "good checkpoint");
        var failure = new InvalidOperationException("disk full, say");

        var thrown = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(Encoding.UTF8.GetBytes("half a checkp"));
            stream.Flush();
            throw failure;
        }));

        Assert.Same(failure, thrown);
        Assert.Equal("good checkpoint", File.ReadAllText(path));
        Assert.Equal(["checkpoint.safetensors"], directory.FileNames());
    }

    [Fact]
    public void FailingWriterWithoutOldFileLeavesNothing()
    {
        string path = directory.File("never.bin");

        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100_000]);
            throw new IOException("interrupted");
        }));

        Assert.Empty(directory.FileNames());
    }

    [Fact]
    public void SafeTensorsWriteThatFailsKeepsThePreviousFile()
    {
        string path = directory.File("weights.safetensors");
        SafeTensors.Write(path, [("w", new Tensor([1f, 2f], 2))]);
        byte[] before = File.ReadAllBytes(path);

        Assert.Throws<InvalidOperationException>(() => SafeTensors.Write(path, FailHalfway()));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["weights.safetensors"], directory.FileNames());

        static IEnumerable<(string, Tensor)> FailHalfway()
        {
            yield return ("w", new Tensor([3f, 4f], 2));
            throw new InvalidOperationException("model changed while saving");
        }
    }

    [Fact]
    public void WriteAllBytesAndTextUseUtf8WithoutByteOrderMark()
    {
        string binary = directory.File("data.bin"), text = directory.File("vocab.txt");

        AtomicFile.WriteAllBytes(binary, [0xFF, 0x00, 0x7F]);
        AtomicFile.WriteAllText(text, "héllo\n");

        Assert.Equal([0xFF, 0x00, 0x7F], File.ReadAllBytes(binary));
        Assert.Equal(Encoding.UTF8.GetBytes("héllo\n"), File.ReadAllBytes(text));
    }

    [Fact]
    public void MissingDirectoryIsReportedAndNothingIsCreated()
    {
        string path = Path.Combine(directory.Path, "no-such-directory", "file.bin");

        Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.WriteAllBytes(path, [1]));

        Assert.Empty(directory.FileNames());
    }

    [Fact]
    public void TargetThatIsADirectoryIsRefused()
    {
        string path = directory.File("folder");
        Directory.CreateDirectory(path);

        Assert.Throws<IOException>(() => AtomicFile.WriteAllBytes(path, [1]));

        Assert.True(Directory.Exists(path));
        Assert.Equal(["folder"], directory.FileNames());
    }

    [Fact]
    public void RelativePathsWork()
    {
        // Relative to the current directory, which is process-wide and so not changed here.
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, directory.File("relative.txt"));
        Assert.False(Path.IsPathRooted(relative));

        AtomicFile.WriteAllText(relative, "ok");

        Assert.Equal("ok", File.ReadAllText(directory.File("relative.txt")));
        Assert.Equal(["relative.txt"], directory.FileNames());
    }
}
