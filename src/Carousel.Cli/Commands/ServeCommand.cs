using System.CommandLine;
using Carousel.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Carousel.Cli.Commands;

/// <summary>`carousel serve DIR… [--runs DIR]`: trained models behind a local HTTP API and web page, and training runs' loss curves.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var defaults = new ServeOptions();
        var paths = new Argument<string[]>("checkpoints") { Description = "Checkpoint files or training directories to serve (a directory of training directories serves each); any kind of model.", Arity = ArgumentArity.ZeroOrMore };
        var runs = new Option<string?>("--runs") { Description = "A directory of training runs: the page lists them and draws their loss curves from metrics.jsonl, updating while they train." };
        var host = new Option<string>("--host") { Description = "The address to listen on; anything but this machine's own (127.0.0.1, localhost, ::1) makes the models reachable from the network, without authentication.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The port to listen on (0: any free port).", DefaultValueFactory = _ => 5080 };
        var urls = new Option<string?>("--urls") { Description = "Listen on these URLs instead of --host and --port (ASP.NET Core syntax, ';' between them)." };
        var maxLength = new Option<int>("--max-length") { Description = "The most characters one sampling request may ask for.", DefaultValueFactory = _ => defaults.MaxGeneratedLength };
        var maxRequestBytes = new Option<int>("--max-request-bytes") { Description = "The largest request body accepted, in bytes.", DefaultValueFactory = _ => defaults.MaxRequestBytes };
        var maxConcurrent = new Option<int>("--max-concurrent") { Description = "The most model requests run at once; more are answered 429 (busy).", DefaultValueFactory = _ => defaults.MaxConcurrentRequests };
        var maxBeam = new Option<int>("--max-beam") { Description = "The widest beam a seq2seq request may ask for.", DefaultValueFactory = _ => defaults.MaxBeam };
        var threads = new Option<int>("--threads") { Description = "Threads per request for matrix products.", DefaultValueFactory = _ => defaults.Threads };
        var command = new Command("serve", "Serve trained models (char model, classifier, tagger, generator, seq2seq) as a JSON API with a web page, and show training runs' loss curves. Listens on this machine only unless --host or --urls says otherwise.")
        {
            paths, runs, host, port, urls, maxLength, maxRequestBytes, maxConcurrent, maxBeam, threads,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            if (parse.GetValue(paths) is not { Length: > 0 } && parse.GetValue(runs) is null)
                throw new UsageException("Nothing to serve: give checkpoints or training directories, or --runs DIR.");
            string? givenUrls = parse.GetValue(urls);
            bool hostOrPortGiven = parse.GetResult(host) is { Implicit: false } || parse.GetResult(port) is { Implicit: false };
            if (givenUrls is not null && hostOrPortGiven) throw new UsageException("Give either --urls or --host/--port, not both.");
            int portNumber = parse.GetValue(port);
            if (portNumber is < 0 or > 65535) throw new UsageException($"--port must be between 0 and 65535, got {portNumber}.");
            string hostName = parse.GetValue(host)!;
            if (string.IsNullOrWhiteSpace(hostName)) throw new UsageException("--host needs an address, got an empty one.");
            string address = hostName.Contains(':') && !hostName.StartsWith('[') ? $"[{hostName}]" : hostName;
            var options = new ServeOptions
            {
                ModelPaths = parse.GetValue(paths) ?? [],
                RunsDirectory = parse.GetValue(runs),
                Urls = givenUrls ?? $"http://{address}:{portNumber}",
                MaxGeneratedLength = parse.GetValue(maxLength),
                MaxRequestBytes = parse.GetValue(maxRequestBytes),
                MaxConcurrentRequests = parse.GetValue(maxConcurrent),
                MaxBeam = parse.GetValue(maxBeam),
                Threads = parse.GetValue(threads),
            };
            return Serve(options);
        }));
        return command;
    }

    private static int Serve(ServeOptions options)
    {
        using var app = CarouselServer.Create(options);
        if (!CarouselServer.IsLoopbackOnly(options.Urls))
            Console.Error.WriteLine($"warning: listening on {options.Urls}: other machines can reach these models; the server has no authentication.");
        using var stop = new CtrlCCancellation();
        app.StartAsync(stop.Token).GetAwaiter().GetResult();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var models = app.Services.GetRequiredService<ModelCatalog>().Models;
        Console.WriteLine($"Serving {models.Count} model(s){(options.RunsDirectory is null ? "" : $" and the runs in {options.RunsDirectory}")} at {string.Join(", ", addresses)}");
        foreach (var model in models) Console.WriteLine($"  {model.Name} ({model.Kind}) from {model.Path}");
        Console.WriteLine("Press Ctrl+C to stop.");
        try
        {
            Task.Delay(Timeout.Infinite, stop.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) { }
        stop.StopListening();
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5))) app.StopAsync(grace.Token).GetAwaiter().GetResult();
        return 130;
    }
}
