namespace Carousel.Tests;

/// <summary>A fresh directory per test, deleted afterwards, so tests can check exactly which files exist.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "carousel-io-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes a text file in the directory and returns its path.</summary>
    public string Write(string name, string text)
    {
        System.IO.File.WriteAllText(File(name), text);
        return File(name);
    }

    /// <summary>A small text with enough structure to learn a little from.</summary>
    public static string SampleText(int repeats = 40)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < repeats; i++) sb.Append("the quick brown fox jumps over the lazy dog. ").Append(i % 7).Append('\n');
        return sb.ToString();
    }

    public string[] FileNames() => Directory.GetFileSystemEntries(Path).Select(System.IO.Path.GetFileName).Order().ToArray()!;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
