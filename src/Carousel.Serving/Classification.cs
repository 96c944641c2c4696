namespace Carousel.Serving;

/// <summary>The answer of POST /classify: the most likely label, its probability and every label's.</summary>
/// <param name="Label">The most likely label.</param>
/// <param name="Probability">Its probability.</param>
/// <param name="Probabilities">Every label's probability, in the model's class order.</param>
public sealed record Classification(string Label, float Probability, IReadOnlyDictionary<string, float> Probabilities);
