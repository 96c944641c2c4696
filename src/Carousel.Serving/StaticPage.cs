using System.Reflection;

namespace Carousel.Serving;

/// <summary>The web page's files, compiled into this assembly (wwwroot/), served by name with their content types.</summary>
internal static class StaticPage
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    /// <summary>Every file by its URL path ("/", "/app.js"); read once, so a request never touches the file system.</summary>
    public static IReadOnlyDictionary<string, (byte[] Content, string ContentType)> Files { get; } = Load();

    private static Dictionary<string, (byte[], string)> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("wwwroot/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            string path = "/" + resource["wwwroot/".Length..];
            string type = ContentTypes.GetValueOrDefault(Path.GetExtension(path), "application/octet-stream");
            files[path == "/index.html" ? "/" : path] = (copy.ToArray(), type);
        }
        return files;
    }
}
