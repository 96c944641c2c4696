using Carousel.Data.Tasks;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Experiments;

/// <summary>Mean squared error at the sequence ends and the share of sequences within the paper's tolerance (0.04).</summary>
public sealed record RegressionScore(double MeanSquaredError, double ShareCorrect);

/// <summary>
/// A recurrent network with one linear output, trained on a task whose only target is at each sequence's last step
/// (the adding and multiplication problems): the small training loop that the gradient-flow and exploding-gradient
/// experiments share. The loss of a batch is the mean over its rows of ½e², e = output − target at the row's end.
/// </summary>
public sealed class EndOfSequenceRegression
{
    private float[] _dOutputs = []; // [T·B] gradient of the per-step outputs: non-zero only at each row's end

    public SequenceTagger Model { get; }
    public Parameter[] Parameters { get; }

    /// <param name="forgetGateBias">Initial forget-gate bias of LSTMs that have one (ignored by other cells).</param>
    public EndOfSequenceRegression(CellKind cell, int inputSize, int hiddenSize, Rng rng, float forgetGateBias = 1f)
    {
        Model = new SequenceTagger(new RecurrentOptions(cell, inputSize, hiddenSize), outputs: 1, rng);
        if (cell.HasForgetGate() && forgetGateBias != 0f) Model.Rnn.InitializeForgetGateBias(forgetGateBias);
        Parameters = [.. Model.NamedParameters().Select(p => p.Parameter)];
    }

    /// <summary>
    /// Forward and backward over the batch, gradients added into the parameters (zero them first). With
    /// <paramref name="sumOverRows"/> the loss is Σ½e² instead of the mean, so each row's gradient is its own loss's.
    /// Returns the loss.
    /// </summary>
    public double ForwardBackward(SequenceRegressionBatch batch, bool sumOverRows = false)
    {
        Model.Training = true;
        var outputs = Model.Forward(batch.Inputs, batch.Lengths).Data; // [T, B, 1]
        int B = batch.BatchSize;
        if (_dOutputs.Length != outputs.Length) _dOutputs = new float[outputs.Length];
        else Array.Clear(_dOutputs);
        double scale = sumOverRows ? 1.0 : 1.0 / B, loss = 0;
        for (int b = 0; b < B; b++)
        {
            int row = (batch.Lengths[b] - 1) * B + b;
            double e = outputs[row] - batch.Targets.Data[b];
            loss += 0.5 * e * e * scale;
            _dOutputs[row] = (float)(e * scale);
        }
        Model.Backward(_dOutputs);
        return loss;
    }

    /// <summary>
    /// One optimizer step on the batch; clips the global gradient norm to <paramref name="clipNorm"/> unless it is null.
    /// Returns the loss and the gradient norm before clipping.
    /// </summary>
    public (double Loss, double GradientNorm) TrainStep(SequenceRegressionBatch batch, Optimizer optimizer, double? clipNorm)
    {
        optimizer.ZeroGrad();
        double loss = ForwardBackward(batch);
        double norm = clipNorm is double c ? GradientClipping.ClipByGlobalNorm(Parameters, c) : GradientClipping.GlobalNorm(Parameters);
        optimizer.Step();
        return (loss, norm);
    }

    /// <summary>Scores the outputs at the sequence ends, without training.</summary>
    public RegressionScore Evaluate(SequenceRegressionBatch batch)
    {
        Model.Training = false;
        var outputs = Model.Forward(batch.Inputs, batch.Lengths).Data;
        int B = batch.BatchSize, correct = 0;
        double sum = 0;
        for (int b = 0; b < B; b++)
        {
            float output = outputs[(batch.Lengths[b] - 1) * B + b], target = batch.Targets.Data[b];
            sum += (double)(output - target) * (output - target);
            if (MarkedPairProblem.IsCorrect(output, target)) correct++;
        }
        return new RegressionScore(sum / B, (double)correct / B);
    }
}
