using Carousel.Models;

namespace Carousel.Training.Tasks;

/// <summary>
/// How <see cref="TaskTrainer"/> gets the gradient of a batch's loss: the seam between the training loop
/// (batches, clipping, optimizer, evaluation) and the algorithm that computes gradients through time.
/// Backpropagation through time (<see cref="BpttLearner"/>) is one; real-time recurrent learning is another.
/// </summary>
public interface ITaskLearner
{
    /// <summary>The name on the command line (--learner).</summary>
    string Name { get; }

    /// <summary>
    /// Runs <paramref name="model"/> over <paramref name="batch"/> in training mode and adds the gradient of
    /// <see cref="TaskBatch.Loss"/> into every parameter's Grad (the trainer zeroes them before). Returns the loss.
    /// </summary>
    double ComputeGradients(SequenceTagger model, TaskBatch batch);
}

/// <summary>Exact backpropagation through time over the whole sequence: forward over all steps, then backward.</summary>
public sealed class BpttLearner : ITaskLearner
{
    private float[] _dOutputs = []; // [T, B, K], reused while the batch shape stays the same

    public string Name => "bptt";

    public double ComputeGradients(SequenceTagger model, TaskBatch batch)
    {
        model.Training = true;
        var outputs = model.Forward(batch.Inputs, batch.Lengths);
        if (_dOutputs.Length != outputs.Length) _dOutputs = new float[outputs.Length];
        double loss = batch.Loss(outputs.Data, _dOutputs);
        model.Backward(_dOutputs);
        return loss;
    }
}

/// <summary>The learners by their --learner name.</summary>
public static class TaskLearners
{
    public static readonly string[] Names = ["bptt"];

    public static ITaskLearner Create(string name) => name switch
    {
        "bptt" => new BpttLearner(),
        "rtrl" => throw new ArgumentException("--learner rtrl (real-time recurrent learning) is not available yet; use --learner bptt."),
        _ => throw new ArgumentException($"Unknown --learner '{name}': expected bptt."),
    };
}
