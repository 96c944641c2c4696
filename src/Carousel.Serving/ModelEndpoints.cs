using System.Text;
using System.Text.Json;

namespace Carousel.Serving;

/// <summary>The model API: the list, sampling as server-sent events, classify, tag and predict.</summary>
internal static class ModelEndpoints
{
    private const int DefaultLength = 200;

    public static void Map(WebApplication app, ModelCatalog catalog, RequestGate gate, ServeOptions options)
    {
        app.MapGet("/api/models", () => catalog.Models.Select(m => new
        {
            name = m.Name,
            kind = m.Kind,
            step = m.Step,
            file = Path.GetFileName(Path.GetDirectoryName(m.Path)) + "/" + Path.GetFileName(m.Path),
            details = m.Details,
        }));

        app.MapPost("/api/models/{name}/sample", async (HttpContext context, string name) =>
        {
            var model = Find<SamplingModel>(catalog, name, "sample");
            var request = await JsonBody.Read(context.Request, options.MaxRequestBytes, new SampleRequest());
            int length = request.Length ?? Math.Min(DefaultLength, options.MaxGeneratedLength);
            if (length < 1 || length > options.MaxGeneratedLength)
                throw RequestException.BadRequest($"length must be between 1 and {options.MaxGeneratedLength}, got {length}.");
            using var slot = gate.Enter();
            using var threads = Carousel.Kernels.Gemm.UseThreads(options.Threads);
            await model.Lock.WaitAsync(context.RequestAborted);
            try
            {
                using var tokens = model.Sample(request, length, CarouselServer.FreshRng(request.Seed)).GetEnumerator();
                bool more = tokens.MoveNext(); // a bad request fails here, before the stream starts
                var response = context.Response;
                response.ContentType = "text/event-stream; charset=utf-8";
                response.Headers.CacheControl = "no-cache";
                response.Headers["X-Accel-Buffering"] = "no";
                int count = 0;
                for (; more; more = tokens.MoveNext())
                {
                    await Event(response, "token", new { text = tokens.Current }, context.RequestAborted);
                    count++;
                }
                await Event(response, "done", new { count }, context.RequestAborted);
            }
            finally
            {
                model.Lock.Release();
            }
        });

        app.MapPost("/api/models/{name}/classify", async (HttpContext context, string name) =>
        {
            var model = Find<ServedClassifier>(catalog, name, "classify");
            var request = await JsonBody.Read(context.Request, options.MaxRequestBytes, new TextRequest());
            return await Run(model, gate, options, context, () => model.Classify(request.Text ?? ""));
        });

        app.MapPost("/api/models/{name}/tag", async (HttpContext context, string name) =>
        {
            var model = Find<ServedTagger>(catalog, name, "tag");
            var request = await JsonBody.Read(context.Request, options.MaxRequestBytes, new TextRequest());
            return await Run(model, gate, options, context, () => model.Tag(request.Text ?? ""));
        });

        app.MapPost("/api/models/{name}/predict", async (HttpContext context, string name) =>
        {
            var model = Find<ServedSeq2Seq>(catalog, name, "predict");
            var request = await JsonBody.Read(context.Request, options.MaxRequestBytes, new TextRequest());
            int beam = request.Beam ?? 1, nbest = request.NBest ?? 1;
            double penalty = request.LengthPenalty ?? 0;
            if (beam < 1 || beam > options.MaxBeam) throw RequestException.BadRequest($"beam must be between 1 and {options.MaxBeam}, got {beam}.");
            if (nbest < 1 || nbest > options.MaxBeam) throw RequestException.BadRequest($"nBest must be between 1 and {options.MaxBeam}, got {nbest}.");
            if (!(penalty >= 0) || !double.IsFinite(penalty)) throw RequestException.BadRequest($"lengthPenalty must be ≥ 0, got {penalty}.");
            return await Run(model, gate, options, context, () => new { outputs = model.Predict(request.Text ?? "", beam, nbest, penalty) });
        });
    }

    /// <summary>The model of that name and kind: 404 for an unknown name, 400 for a model that does not do <paramref name="verb"/>.</summary>
    private static T Find<T>(ModelCatalog catalog, string name, string verb) where T : ServedModel
    {
        var model = catalog.Find(name) ?? throw new RequestException(StatusCodes.Status404NotFound,
            $"No model '{name}'; the server has {string.Join(", ", catalog.Models.Select(m => m.Name))}.");
        return model as T ?? throw RequestException.BadRequest($"Model '{name}' is a {model.Kind} model; it cannot {verb}.");
    }

    private static async Task<IResult> Run<T>(ServedModel model, RequestGate gate, ServeOptions options, HttpContext context, Func<T> work)
    {
        using var slot = gate.Enter();
        using var threads = Carousel.Kernels.Gemm.UseThreads(options.Threads);
        await model.Lock.WaitAsync(context.RequestAborted);
        try
        {
            return Results.Json(work(), JsonBody.Options);
        }
        finally
        {
            model.Lock.Release();
        }
    }

    private static async Task Event(HttpResponse response, string name, object data, CancellationToken cancel)
    {
        string json = JsonSerializer.Serialize(data, JsonBody.Options);
        await response.WriteAsync($"event: {name}\ndata: {json}\n\n", Encoding.UTF8, cancel);
        await response.Body.FlushAsync(cancel);
    }
}
