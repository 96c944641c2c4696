using System.Security.Cryptography;
using Carousel.Data;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training;

/// <summary>
/// A task trainer's place in its run — epochs and batches done, optimizer steps, the running loss — and the batch
/// generator whose state at the start of each epoch makes that place reproducible (<see cref="TrainingPosition"/>).
/// </summary>
public sealed class TrainingCursor(Rng batchRng)
{
    private ulong[] _epochStartBatchRng = batchRng.State;

    public int EpochsCompleted { get; private set; }
    /// <summary>Batches of the epoch in progress already trained; a resumed run starts its first epoch here.</summary>
    public int BatchesIntoEpoch { get; private set; }
    /// <summary>Optimizer steps taken (the learning-rate schedule's position).</summary>
    public long Step { get; private set; }
    public double LossSum { get; set; }
    public long LossCount { get; set; }

    /// <summary>The next epoch's batches, shuffled and bucketed by length; after a resume mid-epoch, the interrupted epoch's plan again.</summary>
    public List<int[]> PlanEpoch(IReadOnlyList<int> lengths, int batchSize)
    {
        _epochStartBatchRng = batchRng.State;
        return LengthBuckets.Plan(lengths, batchSize, batchRng);
    }

    /// <summary>
    /// What ends every batch of a task trainer, after its backward pass: clip the global gradient norm (when
    /// <see cref="TrainingLoopSettings.GradClip"/> is positive), count the step, take the schedule's rate for it, update
    /// the weights and count the batch. Returns the step just taken.
    /// </summary>
    public long StepOptimizer(IEnumerable<Parameter> parameters, Optimizer optimizer, LearningRateSchedule schedule, TrainingLoopSettings loop)
    {
        if (loop.GradClip > 0) GradientClipping.ClipByGlobalNorm(parameters, loop.GradClip);
        Step++;
        optimizer.LearningRate = schedule.At(Step, loop.LearningRate);
        optimizer.Step();
        BatchesIntoEpoch++;
        return Step;
    }

    public void EpochDone()
    {
        EpochsCompleted++;
        BatchesIntoEpoch = 0;
        _epochStartBatchRng = batchRng.State; // the next epoch draws its plan from here
    }

    /// <summary>
    /// A resumed run may go on, or stop where it is, but not end before the point it has reached. <paramref name="lengthSetting"/>
    /// is the setting that set <paramref name="plannedSteps"/> ("Epochs", or the tagger's "Steps"), which the message names.
    /// </summary>
    internal void RequireNotPast(long plannedSteps, string lengthSetting)
    {
        if (plannedSteps < Step)
            throw new SettingException(lengthSetting,
                $"Cannot resume: the saved run has already taken {Step} steps ({EpochsCompleted} epochs and {BatchesIntoEpoch} batches), more than the {plannedSteps} asked for; raise {lengthSetting}.");
    }

    public TrainingPosition Position(IDropoutStreams model, string? best, string dataFingerprint) => new()
    {
        EpochsCompleted = EpochsCompleted,
        BatchesIntoEpoch = BatchesIntoEpoch,
        Step = Step,
        EpochStartBatchRng = _epochStartBatchRng,
        DropoutRngs = model.DropoutRngs.Select(r => r.State).ToArray(),
        LossSum = LossSum,
        LossCount = LossCount,
        Best = best,
        DataFingerprint = dataFingerprint,
    };

    internal void Restore(TrainingPosition position, IDropoutStreams model)
    {
        batchRng.State = position.EpochStartBatchRng;
        _epochStartBatchRng = position.EpochStartBatchRng;
        for (int k = 0; k < position.DropoutRngs.Length; k++) model.DropoutRngs[k].State = position.DropoutRngs[k];
        EpochsCompleted = position.EpochsCompleted;
        BatchesIntoEpoch = position.BatchesIntoEpoch;
        Step = position.Step;
        LossSum = position.LossSum;
        LossCount = position.LossCount;
    }
}

/// <summary>
/// A SHA-256 over encoded training data (sequences, labels, conditions), to tell a resumed run's data from other data.
/// Disposable for its hash object; a trainer takes <see cref="ToString"/> once and disposes it.
/// </summary>
public sealed class DataFingerprint : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public DataFingerprint Add(IEnumerable<int[]> sequences)
    {
        foreach (var s in sequences) Add(s);
        return this;
    }

    public DataFingerprint Add(int[] values)
    {
        _hash.AppendData(BitConverter.GetBytes(values.Length)); // lengths too, so [1][2] differs from [1, 2]
        _hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return this;
    }

    public DataFingerprint Add(float[] values)
    {
        _hash.AppendData(BitConverter.GetBytes(values.Length));
        _hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return this;
    }

    public DataFingerprint Add(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        _hash.AppendData(BitConverter.GetBytes(bytes.Length));
        _hash.AppendData(bytes);
        return this;
    }

    public override string ToString() => Convert.ToHexStringLower(_hash.GetCurrentHash());

    public void Dispose() => _hash.Dispose();
}
