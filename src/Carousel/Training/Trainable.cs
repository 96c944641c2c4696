using Carousel.Layers;
using Carousel.Optimizers;

namespace Carousel.Training;

/// <summary>
/// What a model brings to the one training loop (<see cref="Trainer{TBatch}"/>): its batches, its loss with backward on
/// one batch, its evaluation and its rule for "better", and what its checkpoint holds besides the weights. Everything
/// else — optimizer, schedule, clipping, keep-best, checkpoints, exact resume, metrics, progress, cancellation, divergence
/// and threads — is the loop's.
/// </summary>
/// <typeparam name="TBatch">One batch as <see cref="Batches"/> gives it.</typeparam>
public abstract class Trainable<TBatch>
{
    /// <summary>The model being trained.</summary>
    public abstract IModule Model { get; }

    /// <summary>Where the training batches come from.</summary>
    public abstract IBatchSource<TBatch> Batches { get; }

    /// <summary>
    /// Forward, loss and backward of one batch in training mode: adds the gradients into the parameters' Grad (the loop
    /// zeroes them before) and returns the mean loss. The loop clips, checks and steps afterwards.
    /// </summary>
    public abstract BatchLoss TrainBatch(TBatch batch);

    /// <summary>
    /// Called by the loop before it trains data-parallel (<see cref="TrainShard"/>): throws when the model, with its settings,
    /// cannot (by default: it cannot at all).
    /// </summary>
    /// <exception cref="SettingException">Naming the settings that prevent it.</exception>
    public virtual void RequireShards() =>
        throw new SettingException("Distributed", $"{GetType().Name} cannot train data-parallel; run it as one process.");

    /// <summary>
    /// In a data-parallel run: forward, loss and backward of this process's rows of <paramref name="batch"/> (the whole
    /// batch, as every process draws it), adding the gradient of the shard's mean loss into the parameters' Grad and
    /// returning that mean with the count it is a mean over. The loop weighs each shard by its count, sums over the
    /// processes and divides by the batch's count: the result equals <see cref="TrainBatch"/> of the whole batch.
    /// </summary>
    public virtual ShardLoss TrainShard(TBatch batch, BatchShard shard) =>
        throw new NotSupportedException($"{GetType().Name} cannot train data-parallel.");

    /// <summary>Scores the model on held-out data, in evaluation mode (the loop switches modes); null when there is none to score on.</summary>
    public virtual Evaluation? Evaluate() => null;

    /// <summary>Whether the run should stop after the step just taken (a goal reached, a budget spent); asked after every step.</summary>
    public virtual bool Finished => false;

    /// <summary>Whether to evaluate after <paramref name="step"/> besides the loop's own schedule (every so many steps, epoch ends, the last step).</summary>
    public virtual bool WantsEvaluation(long step) => false;

    /// <summary>The rule for "better": by default the lexicographically greater <see cref="Evaluation.Score"/>.</summary>
    public virtual bool IsBetter(Evaluation candidate, Evaluation best) => candidate.Beats(best);

    /// <summary>The checkpoint's model kind, e.g. "sequence-classifier/1".</summary>
    public abstract string CheckpointKind { get; }

    /// <summary>The checkpoint's own metadata entries (options, vocabularies, labels) as the model's loader reads them back.</summary>
    public abstract IReadOnlyDictionary<string, string> CheckpointMetadata(TrainingCursor at);

    /// <summary>What makes a saved run the same run: see <see cref="RunIdentity"/>.</summary>
    public abstract RunIdentity Identity { get; }

    /// <summary>With a schedule shaped by the run's length (cosine): the optimizer steps the saved run planned, read from its checkpoint.</summary>
    public virtual long PlannedStepsOf(ModelCheckpoint saved) => throw new NotSupportedException("This model's runs cannot be resumed.");

    /// <summary>
    /// True for an online learner whose weight updates span batches: it carries the gradients of steps it has not applied
    /// yet from one batch into the next, so the loop leaves the gradients alone instead of zeroing them before each batch
    /// (the learner zeroes them after each of its updates).
    /// </summary>
    public virtual bool KeepsGradientsBetweenBatches => false;

    /// <summary>Called once by the loop with the optimizer it built, for a model that updates the weights itself during a batch.</summary>
    public virtual void Attach(Optimizer optimizer, TrainingRun run)
    {
    }

    /// <summary>Tensors besides the weights that the run carries from batch to batch (a state carried between chunks), saved with its position.</summary>
    public virtual IEnumerable<(string Name, Tensor Value)> CarriedState() => [];

    /// <summary>Takes back <see cref="CarriedState"/> from a saved run (names without the checkpoint's prefix).</summary>
    public virtual void RestoreCarriedState(IReadOnlyDictionary<string, Tensor> state)
    {
    }

    /// <summary>Reads the best record a trainer from before the one training loop saved (JSON), to judge "best" after a resume.</summary>
    public virtual Evaluation? ReadEarlierBest(string json, ModelCheckpoint file) => null;
}

/// <summary>
/// What makes a saved run the same run, checked on resume: the options (saved as JSON under <see cref="OptionsKey"/> in the
/// checkpoint metadata) equal but for <see cref="MayChange"/>, the metadata entries <see cref="DataKeys"/> (vocabularies,
/// labels) equal, and the same <see cref="DataFingerprint"/>.
/// </summary>
/// <param name="OptionsKey">The metadata entry holding the options as a JSON object.</param>
/// <param name="MayChange">Option names a resumed run may change (the length, the threads).</param>
/// <param name="DataKeys">Metadata entries that describe the data (vocabularies, labels).</param>
/// <param name="DataFingerprint">A hash of the encoded training and dev data.</param>
/// <param name="LengthSetting">The option that sets the run's length ("Epochs", "Steps"), for the messages.</param>
public sealed record RunIdentity(string OptionsKey, IReadOnlyCollection<string> MayChange, IReadOnlyList<string> DataKeys,
    string DataFingerprint, string LengthSetting);
