using System.Text.Json;
using Carousel.Training;

namespace Carousel.Serving;

/// <summary>A training run as listed: its name (its path under the runs directory), how many evaluations it has logged, and whether a train holds it now.</summary>
/// <param name="Name">The run's directory relative to the runs directory, with '/' between parts.</param>
/// <param name="Points">Lines in its metrics.jsonl.</param>
/// <param name="Updated">When metrics.jsonl was last written (UTC).</param>
/// <param name="Running">Whether a training run holds the directory now (its lock is taken).</param>
public sealed record RunSummary(string Name, int Points, DateTime Updated, bool Running);

/// <summary>
/// The training runs under one directory: every directory at most two levels below it (or itself) that holds
/// metrics.jsonl. Files are read afresh at each request, so a run that is training shows its new evaluations.
/// Names from a request are resolved under the runs directory only: a name that leaves it, or goes through a link, is refused.
/// </summary>
/// <param name="root">The runs directory.</param>
public sealed class RunCatalog(string root)
{
    private const int MaxDepth = 2;
    /// <summary>The most lines one answer carries: the latest ones.</summary>
    public const int MaxPoints = 10_000;

    /// <summary>The runs directory, as a full path.</summary>
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Every run under <see cref="Root"/>, by name.</summary>
    public IReadOnlyList<RunSummary> List()
    {
        var runs = new List<RunSummary>();
        Visit(new DirectoryInfo(Root), 0, runs);
        return [.. runs.OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    private void Visit(DirectoryInfo dir, int depth, List<RunSummary> runs)
    {
        if (dir.LinkTarget is not null) return;
        var metrics = new FileInfo(Path.Combine(dir.FullName, MetricsLog.FileName));
        if (metrics.Exists && metrics.LinkTarget is null)
            runs.Add(new RunSummary(NameOf(dir.FullName), ReadLines(metrics.FullName).Count, metrics.LastWriteTimeUtc, IsRunning(dir.FullName)));
        if (depth == MaxDepth) return;
        foreach (var sub in dir.EnumerateDirectories().Where(d => !d.Name.StartsWith('.')))
            Visit(sub, depth + 1, runs);
    }

    /// <summary>The metrics lines of run <paramref name="name"/> (each a JSON object; the latest <see cref="MaxPoints"/>).</summary>
    /// <exception cref="RequestException">404 for a name that is not a run under <see cref="Root"/>.</exception>
    public (RunSummary Run, IReadOnlyList<JsonElement> Metrics) Read(string name)
    {
        string dir = Resolve(name);
        string file = Path.Combine(dir, MetricsLog.FileName);
        var lines = ReadLines(file);
        var summary = new RunSummary(NameOf(dir), lines.Count, File.GetLastWriteTimeUtc(file), IsRunning(dir));
        return (summary, lines.Count > MaxPoints ? lines[^MaxPoints..] : lines);
    }

    /// <summary>The run directory a request names, or 404: only directories inside <see cref="Root"/>, not through links.</summary>
    internal string Resolve(string name)
    {
        if (name == ".") return File.Exists(Path.Combine(Root, MetricsLog.FileName)) ? Root : throw NotARun(name);
        if (string.IsNullOrWhiteSpace(name) || name.Contains('\\') || name.Contains('\0') || Path.IsPathRooted(name))
            throw NotARun(name);
        var parts = name.Split('/');
        if (parts.Length > MaxDepth + 1 || parts.Any(p => p is "" or "." or ".." || p.StartsWith('.'))) throw NotARun(name);
        string dir = Path.GetFullPath(Path.Combine([Root, .. parts]));
        if (!dir.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal) && dir != Root) throw NotARun(name);
        // Every step must be a real directory, not a link that leads out of the runs directory.
        string walked = Root;
        foreach (var part in parts)
        {
            walked = Path.Combine(walked, part);
            var info = new DirectoryInfo(walked);
            if (!info.Exists || info.LinkTarget is not null) throw NotARun(name);
        }
        var metrics = new FileInfo(Path.Combine(dir, MetricsLog.FileName));
        if (!metrics.Exists || metrics.LinkTarget is not null) throw NotARun(name);
        return dir;
    }

    private static RequestException NotARun(string name) => new(StatusCodes.Status404NotFound, $"No training run '{name}' in the runs directory.");

    private string NameOf(string dir) => dir == Root ? "." : Path.GetRelativePath(Root, dir).Replace(Path.DirectorySeparatorChar, '/');

    // The trainer rewrites metrics.jsonl atomically, so a read sees whole lines; a line that is not a JSON object
    // (written by someone else) is left out rather than failing the chart.
    private static List<JsonElement> ReadLines(string file)
    {
        var result = new List<JsonElement>();
        string text;
        try
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            text = reader.ReadToEnd();
        }
        catch (IOException) { return result; }
        foreach (var line in text.Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind == JsonValueKind.Object) result.Add(doc.RootElement.Clone());
            }
            catch (JsonException) { }
        }
        return result;
    }

    // A run holds DIR/.lock open and shared with no one while it trains; opening it ourselves fails exactly then.
    private static bool IsRunning(string dir)
    {
        string lockFile = Path.Combine(dir, RunLock.FileName);
        if (!File.Exists(lockFile)) return false;
        try
        {
            using var probe = new FileStream(lockFile, FileMode.Open, FileAccess.Read, FileShare.None);
            return false;
        }
        catch (IOException) { return true; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
