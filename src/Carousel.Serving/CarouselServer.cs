using System.Net;
using System.Text.Json;
using Carousel.Tensors;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.Extensions.Logging;

namespace Carousel.Serving;

/// <summary>
/// The HTTP server of <c>carousel serve</c>, built on ASP.NET Core minimal APIs:
/// <list type="bullet">
/// <item>GET /api/models — the models, their kinds and what each offers; GET /api/server — the limits and whether runs are shown;</item>
/// <item>POST /api/models/{name}/sample — text as server-sent events, one <c>token</c> event per character, then <c>done</c>;</item>
/// <item>POST /api/models/{name}/classify, /tag, /predict — JSON answers;</item>
/// <item>GET /api/runs, GET /api/runs/{run} — training runs and their metrics.jsonl, read afresh at each request;</item>
/// <item>GET / — the page (static files compiled into the assembly).</item>
/// </list>
/// Every refusal is a 4xx with <c>{"error": "…"}</c>: 400 impossible request, 404 unknown model or run, 413 body too
/// large, 415 not JSON, 429 busy. Everything is loaded before the server listens, so a bad checkpoint stops it at start.
/// </summary>
public static class CarouselServer
{
    /// <summary>Loads the models and builds the server; <paramref name="configure"/> may change the builder (tests use a test server).</summary>
    /// <exception cref="InvalidDataException">A checkpoint that cannot be served, naming its file.</exception>
    /// <exception cref="FileNotFoundException">A model path or the runs directory does not exist.</exception>
    public static WebApplication Create(ServeOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        options.Validate();
        var models = ModelCatalog.Load(options.ModelPaths);
        RunCatalog? runs = null;
        if (options.RunsDirectory is { } runsDirectory)
        {
            if (!Directory.Exists(runsDirectory)) throw new DirectoryNotFoundException($"No runs directory at '{runsDirectory}'.");
            runs = new RunCatalog(runsDirectory);
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(CarouselServer).Assembly.GetName().Name });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (IsLoopbackOnly(options.Urls))
            // Bound to this machine only: refuse requests that name another host, so a web page whose name resolves to
            // 127.0.0.1 (DNS rebinding) cannot reach the models.
            builder.Services.Configure<HostFilteringOptions>(o => o.AllowedHosts = [.. LoopbackHosts(options.Urls)]);
        builder.Services.AddSingleton(models);
        builder.Services.AddSingleton(new RequestGate(options.MaxConcurrentRequests));
        builder.Services.AddSingleton(options);
        configure?.Invoke(builder);

        var app = builder.Build();
        if (IsLoopbackOnly(options.Urls)) app.UseHostFiltering();
        app.Use(Refusals);
        app.Use(async (context, next) =>
        {
            context.Response.Headers.XContentTypeOptions = "nosniff";
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'";
            await next(context);
        });
        ModelEndpoints.Map(app, models, app.Services.GetRequiredService<RequestGate>(), options);
        RunEndpoints.Map(app, runs);
        foreach (var (path, (content, type)) in StaticPage.Files)
            app.MapGet(path, () => Results.Bytes(content, type));
        app.MapGet("/api/server", () => new
        {
            models = models.Models.Count,
            runs = runs is not null,
            limits = new { options.MaxRequestBytes, options.MaxGeneratedLength, options.MaxConcurrentRequests, options.MaxBeam },
        });
        return app;
    }

    /// <summary>Whether every address in <paramref name="urls"/> is this machine's own (localhost, 127.x, ::1).</summary>
    public static bool IsLoopbackOnly(string urls) => urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(url =>
    {
        if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var uri)) return false;
        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    });

    // The loopback names, and the host of each address listened on (127.0.0.2 is this machine too).
    private static IEnumerable<string> LoopbackHosts(string urls) =>
        new[] { "localhost", "127.0.0.1", "[::1]" }.Concat(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(url => Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.Host : null).OfType<string>()).Distinct();

    // One place turns refusals into answers: a RequestException with its status, an impossible setting or unusable
    // input 400 (the library's words, setting names as the JSON fields are written), a body over Kestrel's limit 413.
    private static async Task Refusals(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (Exception e) when (!context.Response.HasStarted && Refusal(e) is { } refusal)
        {
            context.Response.Clear();
            context.Response.StatusCode = refusal.Status;
            await context.Response.WriteAsJsonAsync(new { error = refusal.Message }, JsonBody.Options);
        }
        catch (Exception e) when (context.Response.HasStarted && e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away in the middle of a stream: nothing to answer.
        }
    }

    private static (int Status, string Message)? Refusal(Exception e) => e switch
    {
        RequestException r => (r.StatusCode, r.Message),
        SettingException s => (StatusCodes.Status400BadRequest, JsonNames(s)),
        InvalidDataException => (StatusCodes.Status400BadRequest, e.Message),
        BadHttpRequestException b => (b.StatusCode, b.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is larger than this server accepts." : b.Message),
        _ => null,
    };

    // "Temperature must be > 0" → "temperature must be > 0": the request's fields are camelCase.
    private static string JsonNames(SettingException e)
    {
        string message = e.Message;
        foreach (var name in e.Settings)
            message = System.Text.RegularExpressions.Regex.Replace(message, $@"\b{name}\b", JsonNamingPolicy.CamelCase.ConvertName(name));
        return message;
    }

    /// <summary>A seed for a request that gives none.</summary>
    internal static Rng FreshRng(ulong? seed) => new(seed ?? (ulong)Random.Shared.NextInt64(1, long.MaxValue));
}
