namespace Carousel.Serving;

/// <summary>The training-run API: the runs under the runs directory and each run's metrics, read afresh at each request.</summary>
internal static class RunEndpoints
{
    public static void Map(WebApplication app, RunCatalog? runs)
    {
        app.MapGet("/api/runs", () => new { runs = Catalog(runs).List() });
        app.MapGet("/api/runs/{**name}", (string name) =>
        {
            var (run, metrics) = Catalog(runs).Read(name);
            return new { run, metrics };
        });
    }

    private static RunCatalog Catalog(RunCatalog? runs) => runs ?? throw new RequestException(StatusCodes.Status404NotFound,
        "This server shows no training runs; start it with --runs DIR.");
}
