using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Carousel.Serving;
using Carousel.Training;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;

namespace Carousel.Tests.Serving;

/// <summary>The live training view's API: runs under --runs, their metrics read afresh, and nothing outside that directory.</summary>
public sealed class ServeRunsTests(ServedModels served) : IClassFixture<ServedModels>, IDisposable
{
    private readonly WebApplication _app = served.Start();
    private HttpClient Client => _app.GetTestClient();

    public void Dispose() => _app.DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task<JsonElement> Run(string name) => await Client.GetFromJsonAsync<JsonElement>($"/api/runs/{name}");

    [Fact]
    public async Task EveryRunIsListedWithTheEvaluationsItLogged()
    {
        var runs = (await Client.GetFromJsonAsync<JsonElement>("/api/runs")).GetProperty("runs").EnumerateArray()
            .ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("points").GetInt32());
        Assert.Equal(File.ReadAllLines(Path.Combine(served.Tiny, MetricsLog.FileName)).Length, runs["tiny"]);
        Assert.Equal(2, runs["old/char"]);
        var tiny = await Run("tiny");
        var steps = tiny.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("step").GetInt32()).ToArray();
        Assert.Equal([3, 6], steps);
    }

    [Fact]
    public async Task ARunThatIsTrainingShowsEachNewEvaluation()
    {
        string dir = Path.Combine(served.Runs, "live");
        using (RunLock.Acquire(dir))
        {
            var log = new MetricsLog(dir);
            log.Append(new { step = 10, train_loss = 2.5 });
            var first = await Run("live");
            Assert.True(first.GetProperty("run").GetProperty("running").GetBoolean());
            Assert.Equal(1, first.GetProperty("metrics").GetArrayLength());
            log.Append(new { step = 20, train_loss = 2.1 });
            var second = await Run("live");
            Assert.Equal([2.5, 2.1], second.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("train_loss").GetDouble()));
        }
        Assert.False((await Run("live")).GetProperty("run").GetProperty("running").GetBoolean());
    }

    [Theory]
    [InlineData("../models/char")]
    [InlineData("old/../../models/char")]
    [InlineData("%2e%2e/models/char")]
    [InlineData("..%2Fmodels%2Fchar")]
    [InlineData("%2Fetc")]
    [InlineData("old")]
    [InlineData("absent")]
    public async Task ANameOutsideTheRunsDirectoryIsNotFound(string name)
    {
        var response = await Client.GetAsync($"/api/runs/{name}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("step", await response.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// The same names given to the catalog directly: HTTP clients and Kestrel already remove dot segments from a URL, so
    /// these reach the catalog only from a client that does not; the catalog refuses them all the same.
    /// </summary>
    [Theory]
    [InlineData("../models/char")]
    [InlineData("old/../../models/char")]
    [InlineData("old/../..")]
    [InlineData("./tiny")]
    [InlineData("/etc")]
    [InlineData("old\\..\\tiny")]
    [InlineData("")]
    public void TheCatalogRefusesANameThatLeavesTheRunsDirectory(string name)
    {
        Assert.True(File.Exists(Path.Combine(served.Models, "char", MetricsLog.FileName))); // there is something to reach
        var e = Assert.Throws<RequestException>(() => new RunCatalog(served.Runs).Read(name));
        Assert.Equal(404, e.StatusCode);
    }

    [Fact]
    public async Task ALinkOutOfTheRunsDirectoryIsNeitherListedNorRead()
    {
        string link = Path.Combine(served.Runs, "link");
        if (!Directory.Exists(link)) Directory.CreateSymbolicLink(link, Path.Combine(served.Models, "char"));
        Assert.True(File.Exists(Path.Combine(link, MetricsLog.FileName)));
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync("/api/runs/link")).StatusCode);
        var names = (await Client.GetFromJsonAsync<JsonElement>("/api/runs")).GetProperty("runs").EnumerateArray().Select(r => r.GetProperty("name").GetString());
        Assert.DoesNotContain("link", names);
    }

    [Fact]
    public async Task WithoutARunsDirectoryTheRunsApiSaysHowToGetOne()
    {
        await using var app = served.Start(o => o with { RunsDirectory = null });
        var response = await app.GetTestClient().GetAsync("/api/runs");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("--runs", await response.Content.ReadAsStringAsync());
    }
}
