namespace Carousel.Training;

/// <summary>
/// Where a run stands between two batches: epochs and batches done, optimizer steps taken, the train loss summed since
/// the last evaluation and the seconds trained. Saved in <see cref="TrainingPosition"/>, so a resumed run counts on.
/// </summary>
public sealed class TrainingCursor
{
    /// <summary>Epochs finished.</summary>
    public int EpochsCompleted { get; private set; }
    /// <summary>Batches of the epoch in progress already trained; a resumed run starts its first epoch here.</summary>
    public int BatchesIntoEpoch { get; private set; }
    /// <summary>Optimizer steps taken (the learning-rate schedule's position).</summary>
    public long Step { get; private set; }
    /// <summary>Sum of the batch losses since the last evaluation.</summary>
    public double LossSum { get; private set; }
    /// <summary>Batches in <see cref="LossSum"/>.</summary>
    public long LossCount { get; private set; }
    /// <summary>Seconds trained before this process took over (a resumed run's elapsed time continues from here).</summary>
    public double SecondsBefore { get; private set; }

    /// <summary>Counts one trained batch and its loss; returns true when it ended an epoch of <paramref name="batchesPerEpoch"/>.</summary>
    public bool BatchDone(double loss, long batchesPerEpoch)
    {
        Step++;
        LossSum += loss;
        LossCount++;
        if (++BatchesIntoEpoch < batchesPerEpoch) return false;
        EpochsCompleted++;
        BatchesIntoEpoch = 0;
        return true;
    }

    /// <summary>Starts a new sum of batch losses (after an evaluation has reported <see cref="MeanLoss"/>).</summary>
    public void ResetLoss()
    {
        LossSum = 0;
        LossCount = 0;
    }

    /// <summary>The mean batch loss since the last evaluation, without resetting it (NaN when none).</summary>
    public double MeanLoss => LossCount > 0 ? LossSum / LossCount : double.NaN;

    /// <summary>Takes the counters of a saved run.</summary>
    internal void Restore(TrainingPosition position)
    {
        EpochsCompleted = position.EpochsCompleted;
        BatchesIntoEpoch = position.BatchesIntoEpoch;
        Step = position.Step;
        LossSum = position.LossSum;
        LossCount = position.LossCount;
        SecondsBefore = position.ElapsedSeconds;
    }
}
