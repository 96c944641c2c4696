using Carousel.Experiments.Tasks;
using Carousel.Layers.Recurrent;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Tests.Experiments;

/// <summary>BPTT(h; h′) in the task trainer: a window over the whole sequence is full BPTT; shorter windows cut the gradient.</summary>
public class TruncatedBpttLearnerTests
{
    // An update that steps another model's parameters: the tagger's gradients add up over the learner's updates.
    private static WeightUpdate Elsewhere(SequenceTask task) =>
        new(new Sgd(new TaskTrainer(task, new TaskTrainingOptions { Hidden = 5 }).Tagger.NamedParameters(), 0.1f), [], 0);

    private static (double Loss, float[][] Gradients) Gradients(TaskTrainer trainer, TaskBatch batch, ITaskLearner learner, SequenceTask task)
    {
        var parameters = trainer.Tagger.NamedParameters().Select(p => p.Parameter).ToList();
        parameters.ZeroGrad();
        double loss = learner.ComputeGradients(trainer.Tagger, batch, Elsewhere(task));
        return (loss, [.. parameters.Select(p => (float[])p.Grad.Data.Clone())]);
    }

    [Theory]
    [InlineData("reber", CellKind.Lstm, 4)]     // a loss at every step
    [InlineData("adding", CellKind.RnnTanh, 7)] // a loss at the last step only
    [InlineData("copy", CellKind.Gru, 3)]
    public void AWindowOverTheWholeSequenceIsFullBptt(string taskName, CellKind cell, int step)
    {
        var task = TaskCatalog.Create(taskName, taskName == "adding" ? 22 : taskName == "copy" ? 3 : null, seed: 4);
        var trainer = new TaskTrainer(task, new TaskTrainingOptions { Cell = cell, Hidden = 5, Seed = 4 });
        var batch = task.NextTrainingBatch(3);
        Assert.True(batch.Steps > step);

        var (bpttLoss, bptt) = Gradients(trainer, batch, new BpttLearner(), task);
        var (oneLoss, one) = Gradients(trainer, batch, new TruncatedBpttLearner(batch.Steps, batch.Steps), task);
        Numerics.Close(bpttLoss, oneLoss, 1e-5, 1e-7, "one-window loss");
        for (int i = 0; i < bptt.Length; i++)
            for (int j = 0; j < bptt[i].Length; j++)
                Numerics.Close(bptt[i][j], one[i][j], 1e-4, 1e-6, $"one window: parameter {i}[{j}]");
        // h ≥ T: every update's gradient flows back to the start; with the weights held, the updates add up to BPTT's.
        var (truncatedLoss, truncated) = Gradients(trainer, batch, new TruncatedBpttLearner(batch.Steps, step), task);
        Numerics.Close(bpttLoss, truncatedLoss, 1e-5, 1e-7, "loss");
        double scale = bptt.Max(g => g.Max(MathF.Abs));
        for (int i = 0; i < bptt.Length; i++)
            for (int j = 0; j < bptt[i].Length; j++)
                Numerics.Close(bptt[i][j], truncated[i][j], 1e-4, 1e-5 * scale, $"parameter {i}[{j}]");

        // h = h′: the gradient is cut at every h′ steps, so (with a loss that reaches back further) it differs.
        var (_, chunked) = Gradients(trainer, batch, new TruncatedBpttLearner(step, step), task);
        Assert.Contains(Enumerable.Range(0, bptt.Length), i => Enumerable.Range(0, bptt[i].Length).Any(j => MathF.Abs(bptt[i][j] - chunked[i][j]) > 1e-3f * (float)scale));
    }

    [Fact]
    public void OneWindowOfTheWholeSequenceTrainsAsTheBpttTrainer()
    {
        // h = h′ ≥ T: one update per batch from the whole sequence, as BPTT's; the runs' losses agree.
        var task = TaskCatalog.Create("adding", 22, seed: 3);
        var options = new TaskTrainingOptions { Cell = CellKind.Lstm, Hidden = 6, Seed = 3, MaxSteps = 12, EvaluateEvery = 6 };
        var plain = new TaskTrainer(task, options).Run();
        var truncated = new TaskTrainer(TaskCatalog.Create("adding", 22, seed: 3), options with { TbpttStep = 40, TbpttWindow = 40 }).Run();
        Assert.Equal(plain.Steps, truncated.Steps);
        Numerics.Close(plain.TrainLoss, truncated.TrainLoss, 1e-4, 1e-7, "train loss");
    }

    [Fact]
    public void TheUpdatesComeEveryStepOfTheWindow()
    {
        var task = TaskCatalog.Create("reber", seed: 2);
        var trainer = new TaskTrainer(task, new TaskTrainingOptions { Hidden = 4 });
        var batch = task.NextTrainingBatch(2);
        var optimizer = new Sgd(trainer.Tagger.NamedParameters(), 0.1f);
        new TruncatedBpttLearner(6, 3).ComputeGradients(trainer.Tagger, batch, new WeightUpdate(optimizer, [], 0));
        Assert.Equal((batch.Steps + 2) / 3, optimizer.StepCount);
        Assert.Throws<SettingException>(() => new TruncatedBpttLearner(2, 3));
    }
}
