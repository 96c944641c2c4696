using Carousel.Models;
using Carousel.Serving;
using Carousel.Tensors;
using Carousel.Training.Char;
using Carousel.Training.Classification;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Carousel.Tests.Serving;

/// <summary>
/// The page in a real browser: Debian's chromium (never a downloaded one), driven by Playwright, against the server on a
/// real socket. A person picks a model, types, and sees the text stream in; classifies a text and sees the label; opens
/// the training runs and sees a loss curve. `.ci/run` installs chromium when it is missing; CAROUSEL_CHROMIUM names another.
/// </summary>
public sealed class ServePageBrowserTests(ServedModels served) : IClassFixture<ServedModels>
{
    private static string Chromium => Environment.GetEnvironmentVariable("CAROUSEL_CHROMIUM") ?? "/usr/bin/chromium";

    [SkippableFact]
    public async Task APersonSamplesClassifiesAndSeesALossCurve()
    {
        // Outside CI a machine without the browser skips this test, saying why; in CI (CI=true, where .ci/run installs it) it fails.
        string missing = $"No browser at {Chromium}: install Debian's (apt-get install -y chromium) or set CAROUSEL_CHROMIUM.";
        Skip.If(!File.Exists(Chromium) && Environment.GetEnvironmentVariable("CI") != "true", missing);
        Assert.True(File.Exists(Chromium), missing);
        await using var app = CarouselServer.Create(new ServeOptions { ModelPaths = [served.Models, served.Tiny], RunsDirectory = served.Runs, Urls = "http://127.0.0.1:0" }, ServedModels.Quiet);
        await app.StartAsync();
        string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        await page.GotoAsync(url);
        await page.WaitForSelectorAsync("body[data-ready='true']");

        // Sample: the text the sampler writes for the same prime, settings and seed appears under the prime.
        await page.SelectOptionAsync("#model", "tiny");
        await page.FillAsync("#input", "the ");
        await page.FillAsync("#length", "60");
        await page.FillAsync("#seed", "3");
        await page.ClickAsync("#run");
        await page.WaitForFunctionAsync("() => document.getElementById('status').textContent === '60 characters'");
        var tiny = CharCheckpoint.Load(served.Tiny);
        string expected = "the " + string.Concat(new CharSampler(tiny.Model, tiny.Vocabulary).Generate("the ", 60, new SamplingOptions(0.8f), new Rng(3)));
        Assert.Equal(expected, await page.TextContentAsync("#output"));

        // Classify: the label the classifier gives appears.
        await page.SelectOptionAsync("#model", "classify");
        await page.FillAsync("#input", "kateine");
        await page.ClickAsync("#run");
        await page.WaitForFunctionAsync("() => document.getElementById('label').textContent !== ''");
        var classifier = ClassifierCheckpoint.Load(Path.Combine(served.Models, "classify"));
        var p = classifier.Predict(["kateine"]);
        Assert.Equal(classifier.Labels[p[0] >= p[1] ? 0 : 1], await page.TextContentAsync("#label"));

        // The training runs: the tiny run's training loss is drawn.
        await page.ClickAsync("#tab-runs");
        await page.ClickAsync("#run-list li[data-run='tiny']");
        // The first run in the list is drawn on its own when the tab opens; wait until the clicked one has replaced it.
        await page.WaitForFunctionAsync("() => document.getElementById('run-title').textContent.startsWith('tiny')");
        await page.WaitForSelectorAsync("#loss-chart path[data-series='train_loss']");
        Assert.Contains("tiny", await page.TextContentAsync("#run-title"));
    }
}
