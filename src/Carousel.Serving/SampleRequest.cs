namespace Carousel.Serving;

/// <summary>The body of POST /api/models/{name}/sample; absent fields take the defaults shown.</summary>
/// <param name="Prime">Text the character model reads before it writes (default: a newline, when it knows one).</param>
/// <param name="Length">Characters to write (default 200; a conditioned generator stops at its end symbol before that).</param>
/// <param name="Temperature">Below 1 sharper, above 1 flatter (default 1).</param>
/// <param name="TopK">Draw among the k most likely only; 0 for all (default 0).</param>
/// <param name="Argmax">Always take the most likely character.</param>
/// <param name="Seed">The random seed (default: a fresh one per request).</param>
/// <param name="Condition">For a conditioned generator: the label to generate for.</param>
public sealed record SampleRequest(string? Prime = null, int? Length = null, float? Temperature = null, int? TopK = null,
    bool Argmax = false, ulong? Seed = null, string? Condition = null);
