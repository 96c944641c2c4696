using Carousel.Data;
using Carousel.Serving;
using Carousel.Training;
using Carousel.Training.Char;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;

namespace Carousel.Tests.Serving;

/// <summary>
/// One model of every kind for the server tests, made once per test class: the checkpoints of fixtures/checkpoints-v1
/// (char, classify, tag, generate, seq2seq: small models trained by earlier code, so serving them also proves that
/// old files load), and a tiny character model trained here for a few steps in today's format, inside a runs
/// directory so that its metrics.jsonl is a training run to chart.
/// </summary>
public sealed class ServedModels : IDisposable
{
    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "checkpoints-v1");
    private readonly TempDirectory _scratch = new();

    /// <summary>Training directories, one per kind, named as the server names them.</summary>
    public string Models { get; }
    /// <summary>A runs directory holding "tiny/" (trained here) and "old/char/" (the fixture's run).</summary>
    public string Runs { get; }
    /// <summary>The tiny model trained here, also served as "tiny".</summary>
    public string Tiny { get; }

    public ServedModels()
    {
        Models = _scratch.File("models");
        Runs = _scratch.File("runs");
        foreach (var kind in new[] { "char", "classify", "tag", "generate", "seq2seq" })
            CopyDirectory(Path.Combine(Fixtures, kind, "before"), Path.Combine(Models, kind));
        CopyDirectory(Path.Combine(Fixtures, "char", "before"), Path.Combine(Runs, "old", "char"));
        Tiny = Path.Combine(Runs, "tiny");
        var corpus = TextCorpus.FromText(TempDirectory.SampleText(), 0.1, 9);
        var training = new CharTraining(corpus, new CharTrainingOptions { Hidden = 8, Layers = 1, SeqLength = 8, BatchSize = 2, Steps = 6, EvalEvery = 3, Seed = 2, Threads = 1 });
        new Trainer<TextBatch>(training, training.Run(Tiny)).Run();
    }

    /// <summary>A started server on an in-memory test server; <paramref name="configure"/> changes the limits.</summary>
    public WebApplication Start(Func<ServeOptions, ServeOptions>? configure = null)
    {
        var options = new ServeOptions { ModelPaths = [Models, Tiny], RunsDirectory = Runs };
        var app = CarouselServer.Create(configure?.Invoke(options) ?? options, Quiet + (builder => builder.WebHost.UseTestServer()));
        app.StartAsync().GetAwaiter().GetResult();
        return app;
    }

    /// <summary>
    /// No console logging: a server's log line written while a CLI test has redirected the console (tests run in
    /// parallel) would land in that test's output.
    /// </summary>
    internal static readonly Action<WebApplicationBuilder> Quiet = builder => builder.Logging.ClearProviders();

    internal static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    public void Dispose() => _scratch.Dispose();
}
