using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Experiments.Tasks;

/// <summary>
/// How <see cref="TaskTrainer"/> gets the gradient of a batch's loss: the seam between the training loop
/// (batches, clipping, optimizer, evaluation) and the algorithm that computes gradients through time.
/// Backpropagation through time (<see cref="BpttLearner"/>) is one; real-time recurrent learning (<see cref="RtrlLearner"/>) is another.
/// </summary>
public interface ITaskLearner
{
    /// <summary>The learner's name (<see cref="TaskTrainingOptions.Learner"/>).</summary>
    string Name { get; }

    /// <summary>
    /// True when the learner updates the weights itself during the batch (online learning, through the
    /// <see cref="WeightUpdate"/> it is given); the trainer then makes no update of its own after the batch.
    /// </summary>
    bool UpdatesWeights { get; }

    /// <summary>
    /// Runs <paramref name="model"/> over <paramref name="batch"/> in training mode and adds the gradient of
    /// <see cref="TaskBatch.Loss"/> into every parameter's Grad (the trainer zeroes them before). Returns the loss.
    /// A learner that <see cref="UpdatesWeights"/> applies <paramref name="update"/> whenever it chooses instead;
    /// the others leave it alone.
    /// </summary>
    double ComputeGradients(SequenceTagger model, TaskBatch batch, WeightUpdate update);
}

/// <summary>Exact backpropagation through time over the whole sequence: forward over all steps, then backward.</summary>
public sealed class BpttLearner : ITaskLearner
{
    private float[] _dOutputs = []; // [T, B, K], reused while the batch shape stays the same

    /// <inheritdoc/>
    public string Name => "bptt";

    /// <inheritdoc/>
    public bool UpdatesWeights => false;

    /// <inheritdoc/>
    public double ComputeGradients(SequenceTagger model, TaskBatch batch, WeightUpdate update)
    {
        model.Training = true;
        var outputs = model.Forward(batch.Inputs, batch.Lengths);
        if (_dOutputs.Length != outputs.Length) _dOutputs = new float[outputs.Length];
        double loss = batch.Loss(outputs.Data, _dOutputs);
        model.Backward(_dOutputs);
        return loss;
    }
}

/// <summary>
/// Real-time recurrent learning (<see cref="RealTimeRecurrentLearner"/>) on the tagger's own weights: each sequence of
/// the batch runs step by step from a zero state, and at every scored step the gradient of that step's term of the loss
/// (<see cref="TaskBatch.TryStepLoss"/>) is added at once, through the sensitivities carried forward — nothing of the
/// past is stored. With <see cref="UpdateEvery"/> 0 the weights stay fixed during the batch and its gradient equals
/// BPTT's; with k &gt; 0 the learner is online: the weights are updated (clipped, optimizer step) after every k scored
/// steps, in the middle of a sequence, and once more at the end of the batch for the steps left over (the sensitivities
/// carried past an update were computed with the old weights: the usual approximation of online RTRL).
/// Cost per step O(H⁴) (≈ 16·H⁴ multiply-adds for the LSTM) against BPTT's O(H²): hence at most <see cref="MaxHidden"/> units.
/// </summary>
public sealed class RtrlLearner : ITaskLearner
{
    /// <summary>The most hidden units accepted: at 64 an LSTM step already costs ≈ 300 M multiply-adds (≈ 30 ms on one core).</summary>
    public const int MaxHidden = 64;

    private RealTimeRecurrentLearner? _rtrl;
    private float[] _dOutput = [];   // [K] ∂L/∂y_t of one step's loss term
    private int _scoredSinceUpdate;

    /// <summary>An RTRL learner that updates once per batch (exact gradient) or online, every <paramref name="updateEvery"/> scored steps.</summary>
    /// <param name="updateEvery">0: one update per batch, by the trainer (exact gradient); k &gt; 0: online, after every k scored steps.</param>
    public RtrlLearner(int updateEvery = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(updateEvery);
        UpdateEvery = updateEvery;
    }

    /// <inheritdoc/>
    public string Name => "rtrl";

    /// <summary>Scored steps between online weight updates; 0 for one update per batch, made by the trainer.</summary>
    public int UpdateEvery { get; }

    /// <inheritdoc/>
    public bool UpdatesWeights => UpdateEvery > 0;

    /// <summary>Refuses, with the reason, a model RTRL cannot train here or that would take too long.</summary>
    public static void CheckSupported(CellKind cell, int layers, bool bidirectional, int hidden)
    {
        if (RealTimeRecurrentLearner.Unsupported(cell, layers, bidirectional) is { } reason)
            throw new SettingException("Learner", $"Learner rtrl: {reason}");
        if (hidden > MaxHidden)
            throw new SettingException("Hidden", $"Learner rtrl costs O(H⁴) per step (≈ 16·H⁴ multiply-adds for an LSTM); Hidden {hidden} is above its limit of {MaxHidden}.", "Learner");
    }

    /// <inheritdoc/>
    public double ComputeGradients(SequenceTagger model, TaskBatch batch, WeightUpdate update)
    {
        if (model.Embedding is not null) throw new SettingException("Learner", "Learner rtrl needs a model that reads features; this one embeds symbol ids.");
        if (_rtrl is null || _rtrl.Recurrent != model.Rnn || _rtrl.Readout != model.Output)
        {
            var o = model.Rnn.Options;
            CheckSupported(o.Cell, o.Layers, o.Bidirectional, o.HiddenSize);
            _rtrl = new RealTimeRecurrentLearner(model.Rnn, model.Output);
            _dOutput = new float[model.OutputCount];
            _scoredSinceUpdate = 0;
        }
        int batchSize = batch.BatchSize, features = batch.Inputs.Dim(2);
        var inputs = batch.Inputs.Data; // [T, B, F]
        double loss = 0;
        for (int b = 0; b < batchSize; b++)
        {
            _rtrl.Reset();
            for (int t = 0; t < batch.Lengths[b]; t++)
            {
                _rtrl.Advance(inputs.AsSpan((t * batchSize + b) * features, features));
                if (!batch.TryStepLoss(t, b, _rtrl.Output, _dOutput, out double stepLoss)) continue;
                loss += stepLoss;
                _rtrl.AddOutputGradient(_dOutput);
                if (UpdatesWeights && ++_scoredSinceUpdate == UpdateEvery) { update.Apply(); _scoredSinceUpdate = 0; }
            }
        }
        if (_scoredSinceUpdate > 0) { update.Apply(); _scoredSinceUpdate = 0; } // the batch's last scored steps are not lost
        return loss;
    }
}

/// <summary>The learners by their name (<see cref="TaskTrainingOptions.Learner"/>).</summary>
public static class TaskLearners
{
    /// <summary>The --learner names: "bptt" (backpropagation through time) and "rtrl" (real-time recurrent learning).</summary>
    public static readonly string[] Names = ["bptt", "rtrl"];

    /// <summary>The learner <paramref name="options"/> names, after checking it can train the model they describe.</summary>
    public static ITaskLearner Create(TaskTrainingOptions options)
    {
        if (options.IsHessianFree)
        {
            if (options.Learner != "bptt") throw new SettingException("Learner", $"Optimizer hf computes its own gradients and curvature products; it takes no Learner {options.Learner}.", "Optimizer");
            if (options.TbpttStep > 0) throw new SettingException("TbpttStep", "Optimizer hf takes one step per batch over whole sequences: no TbpttStep.", "Optimizer");
            if (options.UpdateEvery > 0) throw new SettingException("UpdateEvery", "UpdateEvery needs Learner rtrl, not Optimizer hf.", "Optimizer");
            HessianFreeLearner.CheckSupported(new RecurrentOptions(options.Cell, 1, options.Hidden, options.Layers));
            return new HessianFreeLearner(options.HessianFree, options.CurvatureRows);
        }
        switch (options.Learner)
        {
            case "bptt":
                if (options.UpdateEvery > 0) throw new SettingException("UpdateEvery", "UpdateEvery needs Learner rtrl: BPTT has a gradient only at the end of a sequence (TbpttStep updates during it).", "Learner");
                return options.TbpttStep > 0 ? new TruncatedBpttLearner(options.TbpttWindow > 0 ? options.TbpttWindow : options.TbpttStep, options.TbpttStep) : new BpttLearner();
            case "rtrl":
                if (options.TbpttStep > 0) throw new SettingException("TbpttStep", "TbpttStep needs Learner bptt.", "Learner");
                RtrlLearner.CheckSupported(options.Cell, options.Layers, bidirectional: false, options.Hidden);
                return new RtrlLearner(options.UpdateEvery);
            default:
                throw new SettingException("Learner", $"Unknown Learner '{options.Learner}': expected {string.Join(" or ", Names)}.");
        }
    }
}
