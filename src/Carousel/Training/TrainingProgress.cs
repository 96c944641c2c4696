namespace Carousel.Training;

/// <summary>A report after every optimizer step; <see cref="Evaluation"/> is set when the step was evaluated.</summary>
/// <param name="Step">Optimizer steps taken.</param>
/// <param name="PlannedSteps">The step the run ends at.</param>
/// <param name="Epoch">Epochs trained, fractional inside an epoch.</param>
/// <param name="TrainLoss">Mean batch loss since the last evaluation (up to and including this step).</param>
/// <param name="BatchLoss">This step's batch loss.</param>
/// <param name="GradientNorm">The global gradient norm of this step before clipping (NaN when the model updated the weights itself).</param>
/// <param name="LearningRate">The rate of this step.</param>
/// <param name="TokensPerSecond">Recent throughput in the model's tokens (symbols, characters, steps).</param>
/// <param name="ElapsedSeconds">Seconds trained, over every resume.</param>
/// <param name="Evaluation">This step's evaluation, if one was made.</param>
/// <param name="IsBest">Whether that evaluation became the kept model.</param>
public sealed record TrainingProgress(long Step, long PlannedSteps, double Epoch, double TrainLoss, double BatchLoss, double GradientNorm, float LearningRate,
    double TokensPerSecond, double ElapsedSeconds, Evaluation? Evaluation, bool IsBest);

/// <summary>How a run ended.</summary>
/// <param name="Step">Optimizer steps taken.</param>
/// <param name="Epochs">Epochs finished.</param>
/// <param name="Best">The best evaluation, kept in DIR/checkpoint.safetensors (null before the first).</param>
/// <param name="Last">The latest evaluation (null before the first).</param>
/// <param name="TrainLoss">The mean batch loss as last reported: since the evaluation before the last step (NaN before the first batch).</param>
/// <param name="Interrupted">Stopped by cancellation before its planned length.</param>
/// <param name="ElapsedSeconds">Seconds trained, over every resume.</param>
public sealed record TrainingSummary(long Step, int Epochs, Evaluation? Best, Evaluation? Last, double TrainLoss, bool Interrupted, double ElapsedSeconds)
{
    /// <summary>Whether the run reached its goal (the last evaluation said it can stop).</summary>
    public bool Done => Last?.Done ?? false;
}
