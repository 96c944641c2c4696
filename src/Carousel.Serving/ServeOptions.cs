namespace Carousel.Serving;

/// <summary>
/// What <c>carousel serve</c> serves and the limits it keeps. The defaults are safe for a machine shared with others:
/// the server listens on the loopback address only, and every request is bounded in size, in work and in number.
/// </summary>
public sealed record ServeOptions
{
    /// <summary>The address when none is given: this machine only.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Checkpoint files or training directories to serve (a directory without a checkpoint serves the runs in its subdirectories).</summary>
    public IReadOnlyList<string> ModelPaths { get; init; } = [];

    /// <summary>A directory of training runs (each a subdirectory with metrics.jsonl) to show as loss curves; null for none.</summary>
    public string? RunsDirectory { get; init; }

    /// <summary>The addresses to listen on (ASP.NET Core's URL syntax, separated by ';').</summary>
    public string Urls { get; init; } = DefaultUrl;

    /// <summary>The largest request body accepted, in bytes (a larger one is answered 413).</summary>
    public int MaxRequestBytes { get; init; } = 16 * 1024;

    /// <summary>The most characters one sampling request may ask for (more is answered 400).</summary>
    public int MaxGeneratedLength { get; init; } = 2000;

    /// <summary>The most model requests running at once; one more is answered 429 rather than queued.</summary>
    public int MaxConcurrentRequests { get; init; } = 4;

    /// <summary>The widest beam a sequence-to-sequence request may ask for.</summary>
    public int MaxBeam { get; init; } = 16;

    /// <summary>Threads one request may use for its matrix products (requests already run side by side).</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Throws a <see cref="SettingException"/> for a limit that is not positive, or nothing to serve.</summary>
    public void Validate()
    {
        if (ModelPaths.Count == 0 && RunsDirectory is null)
            throw new SettingException("ModelPaths", "Nothing to serve: give one or more checkpoints or training directories, or RunsDirectory.", "RunsDirectory");
        if (string.IsNullOrWhiteSpace(Urls)) throw new SettingException("Urls", "Urls must name at least one address.");
        Positive(MaxRequestBytes, nameof(MaxRequestBytes));
        Positive(MaxGeneratedLength, nameof(MaxGeneratedLength));
        Positive(MaxConcurrentRequests, nameof(MaxConcurrentRequests));
        Positive(MaxBeam, nameof(MaxBeam));
        Positive(Threads, nameof(Threads));
    }

    private static void Positive(int value, string name)
    {
        if (value < 1) throw new SettingException(name, $"{name} must be at least 1, got {value}.");
    }
}
