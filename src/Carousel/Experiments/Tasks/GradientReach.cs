using Carousel.Layers;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Experiments.Tasks;

/// <summary>
/// How far back the error of a task's loss reaches into the input, per model: the norm of ∂L/∂x_t at each lag (steps
/// before the sequence's last step), averaged over a batch of the task's sequences and divided by the norm at lag 0. The
/// measurement behind the NARX claim (Lin et al. 1996): output delays of up to b let the error jump b steps at a time, so
/// it fades over about n / b hidden layers instead of n.
/// </summary>
public static class GradientReach
{
    /// <summary>
    /// The relative input-gradient norm at every lag 0 .. the shortest sequence's length − 1, for the model of
    /// <paramref name="options"/> as <see cref="TaskTrainer"/> builds it, after training it on up to
    /// <paramref name="trainSequences"/> sequences (0: at initialisation; training stops early when the task is solved).
    /// </summary>
    public static double[] Measure(SequenceTask task, TaskTrainingOptions options, int sequences = 64, long trainSequences = 0)
    {
        SettingException.Require(sequences > 0, "Sequences", $"Sequences must be positive, got {sequences}.");
        SettingException.Require(trainSequences >= 0, "TrainSequences", $"TrainSequences must be ≥ 0, got {trainSequences}.");
        var trainer = new TaskTrainer(task, options with { MaxSequences = Math.Max(1, trainSequences) });
        if (trainSequences > 0) trainer.Run();
        var batch = task.NextTrainingBatch(sequences);
        int T = batch.Steps, B = batch.BatchSize, F = batch.Inputs.Dim(2);
        var network = trainer.Network;
        network.Training = true; // the stack keeps what backward needs only while training (no dropout here)
        var outputs = network.Forward(batch.Inputs, batch.Lengths);
        var dOutputs = new float[outputs.Length];
        batch.Loss(outputs.Data, dOutputs);
        network.Parameters().ZeroGrad();
        var dx = InputGradient(network, dOutputs, T, B); // [T, B, F]
        int lags = batch.Lengths.Min();
        var sums = new double[lags];
        for (int b = 0; b < B; b++)
            for (int lag = 0; lag < lags; lag++)
            {
                int t = batch.Lengths[b] - 1 - lag;
                double squares = 0;
                foreach (float g in dx.AsSpan((t * B + b) * F, F)) squares += (double)g * g;
                sums[lag] += Math.Sqrt(squares);
            }
        return [.. sums.Select(s => s / sums[0])];
    }

    // dL/dx [T, B, F] from dL/doutputs [T, B, K] of the last Forward.
    private static float[] InputGradient(IPerStepOutputModel network, float[] dOutputs, int T, int B)
    {
        switch (network)
        {
            case NarxNetwork narx:
                narx.Backward(dOutputs);
                return narx.InputGradient.Data;
            case SequenceTagger tagger:
                var dy = new Tensor(T, B, tagger.Rnn.Options.OutputSize); // [T, B, H]
                tagger.Output.Backward(dOutputs, dy.Data);
                return tagger.Rnn.Backward(dy).Input.Data;
            default:
                throw new ArgumentException($"No input gradient for a {network.GetType().Name}.", nameof(network));
        }
    }
}
