using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Carousel.Data;
using Carousel.Data.Tagging;
using Carousel.Models;
using Carousel.Serving;
using Carousel.Tensors;
using Carousel.Training.Char;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;
using Carousel.Training.Tagging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Carousel.Tests.Serving;

/// <summary>The server's JSON API, in process: every answer is checked against the library's own call on the same checkpoint.</summary>
public sealed class ServeEndpointTests(ServedModels served) : IClassFixture<ServedModels>, IDisposable
{
    private readonly WebApplication _app = served.Start();
    private HttpClient Client => _app.GetTestClient();

    public void Dispose() => _app.DisposeAsync().AsTask().GetAwaiter().GetResult();

    private string Model(string name) => Path.Combine(served.Models, name);

    internal static async Task<HttpResponseMessage> Post(HttpClient client, string path, object body) =>
        await client.PostAsync(path, new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));

    /// <summary>The server-sent events of a response: (event, data) in order.</summary>
    internal static List<(string Event, JsonElement Data)> Events(string stream) =>
        [.. stream.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(block =>
        {
            var lines = block.Split('\n');
            string name = lines.Single(l => l.StartsWith("event: ", StringComparison.Ordinal))["event: ".Length..];
            string data = lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..];
            return (name, JsonDocument.Parse(data).RootElement.Clone());
        })];

    private static async Task<string> Error(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!;

    [Fact]
    public async Task TheModelListNamesEveryModelWithItsKind()
    {
        var models = await Client.GetFromJsonAsync<JsonElement[]>("/api/models");
        var kinds = models!.ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("kind").GetString()!);
        Assert.Equal(new Dictionary<string, string>
        {
            ["char"] = "char", ["classify"] = "classifier", ["generate"] = "generator", ["seq2seq"] = "seq2seq", ["tag"] = "tagger", ["tiny"] = "char",
        }, kinds);
        var classifier = models!.Single(m => m.GetProperty("name").GetString() == "classify");
        Assert.Equal(ClassifierCheckpoint.Load(Model("classify")).Labels, classifier.GetProperty("details").GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
    }

    [Theory]
    [InlineData("char", "ka")]
    [InlineData("tiny", "the ")]
    public async Task SamplingStreamsTheSamplersCharactersOneEventEach(string name, string prime)
    {
        var response = await Post(Client, $"/api/models/{name}/sample", new { prime, length = 40, temperature = 0.9, topK = 5, seed = 7 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = Events(await response.Content.ReadAsStringAsync());
        var tokens = events.Where(e => e.Event == "token").Select(e => e.Data.GetProperty("text").GetString()!).ToList();
        Assert.Equal(("done", 40), (events[^1].Event, events[^1].Data.GetProperty("count").GetInt32()));

        var checkpoint = CharCheckpoint.Load(name == "tiny" ? served.Tiny : Model(name));
        var expected = new CharSampler(checkpoint.Model, checkpoint.Vocabulary).Generate(prime, 40, new SamplingOptions(0.9f, 5), new Rng(7)).ToList();
        Assert.Equal(expected, tokens);
    }

    [Fact]
    public async Task TheGeneratorStreamsWhatGenerateWrites()
    {
        var response = await Post(Client, "/api/models/generate/sample", new { condition = "b", seed = 3, length = 30 });
        var text = string.Concat(Events(await response.Content.ReadAsStringAsync()).Where(e => e.Event == "token").Select(e => e.Data.GetProperty("text").GetString()));
        var checkpoint = GeneratorCheckpoint.Load(Model("generate"));
        Assert.Equal(checkpoint.Model.Generate(checkpoint.Vocabulary, checkpoint.OneHot("b"), new SamplingOptions(), new Rng(3), 30), text);

        var missing = await Post(Client, "/api/models/generate/sample", new { seed = 3 });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("a, b", await Error(missing));
        var unknown = await Post(Client, "/api/models/generate/sample", new { condition = "z" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("Unknown condition 'z'", await Error(unknown));
    }

    [Fact]
    public async Task ClassifyAnswersThePredictorsLabelAndProbabilities()
    {
        var checkpoint = ClassifierCheckpoint.Load(Model("classify"));
        foreach (var text in new[] { "kateine", "bavuklia", "zz" })
        {
            var answer = await (await Post(Client, "/api/models/classify/classify", new { text })).Content.ReadFromJsonAsync<JsonElement>();
            var p = checkpoint.Predict([text]);
            int best = p[0] >= p[1] ? 0 : 1;
            Assert.Equal(checkpoint.Labels[best], answer.GetProperty("label").GetString());
            Assert.Equal(p[best], answer.GetProperty("probability").GetSingle());
            Assert.Equal(p[1], answer.GetProperty("probabilities").GetProperty(checkpoint.Labels[1]).GetSingle());
        }
    }

    [Fact]
    public async Task TagRestoresCapitalsAsTheTaggerPredicts()
    {
        const string text = "Hello world. This is Carousel.";
        var answer = await (await Post(Client, "/api/models/tag/tag", new { text })).Content.ReadFromJsonAsync<JsonElement>();
        var checkpoint = TaggerCheckpoint.Load(Model("tag"));
        var blocks = Truecasing.Examples(Truecasing.Lowercase(text), checkpoint.Task.MaxLength, "t");
        var ids = TaggerInference.Predict(checkpoint.Model, new TaggedSequences(blocks, checkpoint.Vocabulary, withLabels: false), 8);
        var labels = ids.SelectMany(row => row.Select(checkpoint.Vocabulary.Label)).ToArray();
        Assert.Equal(text.ToLowerInvariant(), answer.GetProperty("text").GetString());
        Assert.Equal(labels, answer.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(Truecasing.Restore(text.ToLowerInvariant(), labels), answer.GetProperty("restored").GetString());
    }

    [Fact]
    public async Task PredictGivesTheBeamSearchsBestOutputs()
    {
        var answer = await (await Post(Client, "/api/models/seq2seq/predict", new { text = "kton", beam = 3, nBest = 2 })).Content.ReadFromJsonAsync<JsonElement>();
        var checkpoint = Seq2SeqCheckpoint.Load(Model("seq2seq"));
        var source = checkpoint.SourceVocabulary.Encode(SequencePairs.SplitSource("kton", checkpoint.SourceTokens), "test");
        var best = Seq2SeqEvaluator.Decode(checkpoint.Model, [source], 3)[0].Take(2).ToList();
        var outputs = answer.GetProperty("outputs").EnumerateArray().ToList();
        Assert.Equal(best.Select(h => string.Join(' ', checkpoint.TargetVocabulary.Decode(h.Tokens))), outputs.Select(o => o.GetProperty("text").GetString()));
        Assert.Equal(best[0].LogProbability, outputs[0].GetProperty("logProbability").GetDouble(), 5);
    }

    [Fact]
    public async Task ImpossibleRequestsAreRefusedWithTheirReason()
    {
        async Task Refused(HttpResponseMessage response, HttpStatusCode status, string words)
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Contains(words, await Error(response));
        }
        await Refused(await Post(Client, "/api/models/nope/sample", new { }), HttpStatusCode.NotFound, "No model 'nope'");
        await Refused(await Post(Client, "/api/models/classify/sample", new { }), HttpStatusCode.BadRequest, "is a classifier model; it cannot sample");
        await Refused(await Post(Client, "/api/models/char/classify", new { text = "a" }), HttpStatusCode.BadRequest, "is a char model; it cannot classify");
        await Refused(await Post(Client, "/api/models/char/sample", new { length = 2001 }), HttpStatusCode.BadRequest, "length must be between 1 and 2000, got 2001");
        await Refused(await Post(Client, "/api/models/char/sample", new { length = 0 }), HttpStatusCode.BadRequest, "length must be between 1 and 2000");
        await Refused(await Post(Client, "/api/models/char/sample", new { temperature = -1 }), HttpStatusCode.BadRequest, "temperature must be > 0");
        await Refused(await Post(Client, "/api/models/char/sample", new { prime = "€€" }), HttpStatusCode.BadRequest, "prime: Character U+20AC");
        await Refused(await Post(Client, "/api/models/classify/classify", new { text = "" }), HttpStatusCode.BadRequest, "empty");
        await Refused(await Post(Client, "/api/models/seq2seq/predict", new { text = "kton", beam = 17 }), HttpStatusCode.BadRequest, "beam must be between 1 and 16");
        await Refused(await Post(Client, "/api/models/seq2seq/predict", new { text = "k€" }), HttpStatusCode.BadRequest, "€");
        await Refused(await Client.PostAsync("/api/models/classify/classify", new StringContent("{\"text\": ", Encoding.UTF8, "application/json")),
            HttpStatusCode.BadRequest, "not JSON");
        await Refused(await Client.PostAsync("/api/models/classify/classify", new StringContent("{\"text\":\"a\"}", Encoding.UTF8, "text/plain")),
            HttpStatusCode.UnsupportedMediaType, "application/json");
        await Refused(await Post(Client, "/api/models/classify/classify", new { text = new string('a', 20_000) }), HttpStatusCode.RequestEntityTooLarge, "16384 bytes");
    }

    [Fact]
    public async Task ABodyOverTheLimitIsRefusedEvenWithoutALength()
    {
        // Chunked: no Content-Length to refuse by, so the limit is kept while reading.
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"text\":\"" + new string('a', 20_000) + "\"}")));
        content.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/models/classify/classify") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var response = await Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task ARequestBeyondTheConcurrencyLimitIsAnswered429()
    {
        var gate = _app.Services.GetRequiredService<RequestGate>();
        var held = Enumerable.Range(0, gate.Slots).Select(_ => gate.TryEnter()).ToList(); // as if that many requests were running
        Assert.All(held, Assert.NotNull);
        var busy = await Post(Client, "/api/models/classify/classify", new { text = "kateine" });
        Assert.Equal(HttpStatusCode.TooManyRequests, busy.StatusCode);
        Assert.Contains("busy", await Error(busy));
        held[0]!.Dispose();
        Assert.Equal(HttpStatusCode.OK, (await Post(Client, "/api/models/classify/classify", new { text = "kateine" })).StatusCode);
        foreach (var slot in held.Skip(1)) slot!.Dispose();
    }

    [Fact]
    public async Task TheLimitsAreTheOnesGiven()
    {
        await using var app = served.Start(o => o with { MaxGeneratedLength = 5, MaxRequestBytes = 100 });
        var client = app.GetTestClient();
        Assert.Equal(HttpStatusCode.BadRequest, (await Post(client, "/api/models/char/sample", new { length = 6 })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Post(client, "/api/models/char/sample", new { length = 5 })).StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await Post(client, "/api/models/classify/classify", new { text = new string('a', 100) })).StatusCode);
    }

    [Fact]
    public async Task AnotherHostNameIsRefusedWhileTheServerListensOnThisMachineOnly()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/models");
        request.Headers.Host = "attacker.example";
        Assert.Equal(HttpStatusCode.BadRequest, (await Client.SendAsync(request)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/api/models")).StatusCode);
    }

    [Fact]
    public async Task ThePageAndItsFilesAreServedFromTheAssembly()
    {
        var page = await Client.GetAsync("/");
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        string html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"/app.js\"", html);
        Assert.Equal("text/javascript", (await Client.GetAsync("/app.js")).Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync("/index.cs")).StatusCode);
    }
}
