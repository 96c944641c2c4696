using Carousel.Data.Tasks;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;
using Carousel.Training;

namespace Carousel.Experiments;

/// <summary>Mean squared error at the sequence ends and the share of sequences within the paper's tolerance (0.04).</summary>
/// <param name="MeanSquaredError">Mean over the sequences of (output − target)² at each sequence's last step.</param>
/// <param name="ShareCorrect">Share of the sequences (0 to 1) whose |output − target| is below 0.04.</param>
public sealed record RegressionScore(double MeanSquaredError, double ShareCorrect);

/// <summary>
/// A recurrent network with one linear output, trained on a task whose only target is at each sequence's last step
/// (the adding and multiplication problems): what the gradient-flow and exploding-gradient experiments share, trained in
/// memory through the one training loop (<see cref="Train"/>). The loss of a batch is the mean over its rows of ½e²,
/// e = output − target at the row's end.
/// </summary>
public sealed class EndOfSequenceRegression : InMemoryTrainable<SequenceRegressionBatch>
{
    private float[] _dOutputs = []; // [T·B] gradient of the per-step outputs: non-zero only at each row's end
    private IBatchSource<SequenceRegressionBatch>? _batches;

    /// <summary>The network: recurrent stack → one linear output at every step.</summary>
    public SequenceTagger Tagger { get; }

    /// <summary>The network's parameters, in its order.</summary>
    public Parameter[] Parameters { get; }

    /// <summary>Whether <see cref="Train"/> stops after the first step whose loss or gradient norm is not finite (that step is taken).</summary>
    public bool StopWhenDiverged { get; set; }

    /// <summary>The first step of the last <see cref="Train"/> whose loss or gradient norm was not finite, or null.</summary>
    public long? DivergedAtStep { get; private set; }

    /// <summary>A fresh network: one recurrent layer of <paramref name="cell"/> and one linear output, weights drawn from <paramref name="rng"/>.</summary>
    /// <param name="cell">The recurrent cell.</param>
    /// <param name="inputSize">Features per step.</param>
    /// <param name="hiddenSize">Hidden units.</param>
    /// <param name="rng">The initial weights' generator.</param>
    /// <param name="forgetGateBias">Initial forget-gate bias of LSTMs that have one (ignored by other cells).</param>
    public EndOfSequenceRegression(CellKind cell, int inputSize, int hiddenSize, Rng rng, float forgetGateBias = 1f)
    {
        Tagger = new SequenceTagger(new RecurrentOptions(cell, inputSize, hiddenSize), outputs: 1, rng);
        if (cell.HasForgetGate() && forgetGateBias != 0f) Tagger.Rnn.InitializeForgetGateBias(forgetGateBias);
        Parameters = [.. Tagger.NamedParameters().Select(p => p.Parameter)];
    }

    /// <inheritdoc/>
    public override IModule Model => Tagger;

    /// <inheritdoc/>
    public override IBatchSource<SequenceRegressionBatch> Batches =>
        _batches ?? throw new InvalidOperationException("The batches are given to Train.");

    /// <summary>
    /// Trains in memory through the one training loop on batches from <paramref name="nextBatch"/>, as <paramref name="run"/>
    /// says (optimizer, clipping, length, threads; its <see cref="TrainingRun.Directory"/> should be null). Every step is
    /// reported to <paramref name="progress"/> with its batch loss and its gradient norm before clipping. Returns the loop's summary.
    /// </summary>
    public TrainingSummary Train(Func<SequenceRegressionBatch> nextBatch, TrainingRun run, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancel = default)
    {
        _batches = new GeneratedBatches<SequenceRegressionBatch>(nextBatch, Math.Max(1, run.PlannedSteps));
        DivergedAtStep = null;
        var watch = new SynchronousProgress<TrainingProgress>(p =>
        {
            if (DivergedAtStep is null && (!double.IsFinite(p.BatchLoss) || !double.IsFinite(p.GradientNorm))) DivergedAtStep = p.Step;
            progress?.Report(p);
        });
        return new Trainer<SequenceRegressionBatch>(this, run).Run(watch, cancel);
    }

    /// <inheritdoc/>
    public override BatchLoss TrainBatch(SequenceRegressionBatch batch) => new(ForwardBackward(batch), batch.BatchSize);

    /// <inheritdoc/>
    public override bool Finished => StopWhenDiverged && DivergedAtStep is not null;

    /// <summary>
    /// Forward and backward over the batch, gradients added into the parameters (zero them first). With
    /// <paramref name="sumOverRows"/> the loss is Σ½e² instead of the mean, so each row's gradient is its own loss's.
    /// Returns the loss.
    /// </summary>
    public double ForwardBackward(SequenceRegressionBatch batch, bool sumOverRows = false)
    {
        Tagger.Training = true;
        var outputs = Tagger.Forward(batch.Inputs, batch.Lengths).Data; // [T, B, 1]
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
        Tagger.Backward(_dOutputs);
        return loss;
    }

    /// <summary>Scores the outputs at the sequence ends, without training.</summary>
    public RegressionScore Score(SequenceRegressionBatch batch)
    {
        Tagger.Training = false;
        var outputs = Tagger.Forward(batch.Inputs, batch.Lengths).Data;
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
