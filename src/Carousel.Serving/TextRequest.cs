namespace Carousel.Serving;

/// <summary>The body of POST /api/models/{name}/classify, /tag and /predict.</summary>
/// <param name="Text">The text to classify or tag, or the source to convert.</param>
/// <param name="Beam">Sequence to sequence: the beam width (default 1: greedy).</param>
/// <param name="NBest">Sequence to sequence: how many outputs to return, best first (default 1; widens the beam to it).</param>
/// <param name="LengthPenalty">Sequence to sequence: rank by log-probability / length^this (default 0).</param>
public sealed record TextRequest(string? Text = null, int? Beam = null, int? NBest = null, double? LengthPenalty = null);
