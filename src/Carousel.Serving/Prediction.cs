namespace Carousel.Serving;

/// <summary>One output of POST /predict.</summary>
/// <param name="Text">The target symbols, separated by spaces.</param>
/// <param name="LogProbability">ln P(output | source), in nats.</param>
/// <param name="Finished">Whether the model ended it (false: the length limit did).</param>
public sealed record Prediction(string Text, double LogProbability, bool Finished);
