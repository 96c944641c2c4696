namespace Carousel.Training;

/// <summary>What one trained batch reports to the loop.</summary>
/// <param name="Loss">The batch's mean loss (what the model minimises), checked for being finite.</param>
/// <param name="Tokens">Symbols or steps the batch covered, for the throughput shown (tokens per second).</param>
/// <param name="WeightsUpdated">True when the model updated the weights itself during the batch (an online learner): the loop then takes no optimizer step.</param>
public readonly record struct BatchLoss(double Loss, long Tokens, bool WeightsUpdated = false);
