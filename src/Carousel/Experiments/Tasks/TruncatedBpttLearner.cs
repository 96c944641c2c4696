using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;
using Carousel.Layers.Recurrent;

namespace Carousel.Experiments.Tasks;

/// <summary>
/// Williams and Peng's BPTT(h; h′) over each batch of sequences: the weights change every h′ = <see cref="Step"/> steps,
/// each time by the gradient of the loss terms of those h′ steps (<see cref="TaskBatch.TryStepLoss"/>) backpropagated
/// through the last h = <see cref="Window"/> steps, the state carried. A window is run again from the state the sequence
/// had at its start, with the current weights, so with h ≥ T and h′ ≥ T it is BPTT over the whole sequence, and with
/// h = h′ it is chunked truncated BPTT (each chunk from the state the chunk before ended in). The learner makes the
/// updates itself (<see cref="UpdatesWeights"/>): the last, for the steps left over, at the end of the batch.
/// </summary>
public sealed class TruncatedBpttLearner : ITaskLearner
{
    private float[] _window = [], _dOutputs = [];

    /// <summary>BPTT(<paramref name="window"/>; <paramref name="step"/>): h ≥ h′ ≥ 1.</summary>
    public TruncatedBpttLearner(int window, int step)
    {
        SettingException.Require(step > 0, "TbpttStep", $"TbpttStep must be positive, got {step}.");
        SettingException.Require(window >= step, "TbpttWindow", $"TbpttWindow (h) must be at least TbpttStep (h′), got {window} < {step}.", "TbpttStep");
        Window = window;
        Step = step;
    }

    /// <summary>h: how many steps back each update's gradient flows.</summary>
    public int Window { get; }

    /// <summary>h′: the steps between weight updates, whose loss terms each update takes.</summary>
    public int Step { get; }

    /// <inheritdoc/>
    public string Name => "bptt";

    /// <inheritdoc/>
    public bool UpdatesWeights => true;

    /// <inheritdoc/>
    public double ComputeGradients(SequenceTagger model, TaskBatch batch, WeightUpdate update)
    {
        model.Training = true;
        int T = batch.Steps, B = batch.BatchSize, F = batch.Inputs.Dim(2), K = model.OutputCount;
        var inputs = batch.Inputs.Data;
        double loss = 0;
        int start = 0;                  // where the window begins
        RecurrentState? state = null;   // the state there (null: the model's initial state)
        var lengths = new int[B];
        for (int scored = 0, end = Math.Min(Step, T); ; scored = end, end = Math.Min(end + Step, T))
        {
            // The window [start, end) of every sequence, lengths cut to it.
            int steps = end - start;
            if (_window.Length != steps * B * F) _window = new float[steps * B * F];
            inputs.AsSpan(start * B * F, steps * B * F).CopyTo(_window);
            for (int b = 0; b < B; b++) lengths[b] = Math.Clamp(batch.Lengths[b] - start, 0, steps);
            var outputs = model.Forward(new Tensor(_window, steps, B, F), lengths, state).Data; // [steps, B, K]

            // Only the new steps [scored, end) are scored (fewer than h′ at the end of a sequence whose length h′ does not divide).
            if (_dOutputs.Length != outputs.Length) _dOutputs = new float[outputs.Length];
            Array.Clear(_dOutputs);
            for (int t = scored; t < end; t++)
                for (int b = 0; b < B; b++)
                {
                    int row = ((t - start) * B + b) * K;
                    if (t < batch.Lengths[b] && batch.TryStepLoss(t, b, outputs.AsSpan(row, K), _dOutputs.AsSpan(row, K), out double term)) loss += term;
                }
            model.Backward(_dOutputs);
            update.Apply();
            if (end == T) return loss;

            // The next window ends h′ steps later (or at the sequence's end) and reaches h back: it starts where the sequence stood then.
            int next = Math.Max(0, Math.Min(end + Step, T) - Window);
            if (next > start) state = model.Rnn.StateAfter(next - start);
            start = next;
        }
    }
}
