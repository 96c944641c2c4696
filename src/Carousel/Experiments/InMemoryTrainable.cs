using Carousel.Training;

namespace Carousel.Experiments;

/// <summary>
/// A <see cref="Trainable{TBatch}"/> for an experiment that trains in memory through the one training loop
/// (<see cref="TrainingRun.Directory"/> null: no checkpoint, no metrics file, no resume): the members the loop needs
/// only for files have fixed answers, so an experiment brings just its batches, its loss with backward and its checks.
/// </summary>
/// <typeparam name="TBatch">One batch as the experiment's <see cref="Trainable{TBatch}.Batches"/> gives it.</typeparam>
public abstract class InMemoryTrainable<TBatch> : Trainable<TBatch>
{
    /// <inheritdoc/>
    public override string CheckpointKind => "experiment/1";

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> CheckpointMetadata(TrainingCursor at) => new Dictionary<string, string>();

    /// <inheritdoc/>
    public override RunIdentity Identity { get; } = new("options", [], [], "in memory", nameof(TrainingRun.PlannedSteps));
}
