using System.Globalization;
using System.Text;
using Carousel.Data.Tasks;
using Carousel.Tensors;

namespace Carousel.Experiments.Tasks;

/// <summary>
/// One of two classes per sequence, due at its last step, with the classic papers' squashed single output (latch, 2-sequence,
/// parity): y = squash(output) against the class's target value, loss = mean over the batch of (y − target)². A sequence is
/// right when |y − target| &lt; <paramref name="tolerance"/> (the guessing papers' 0.1), or, when no tolerance is given, when y
/// lies on the target's side of the midpoint between the two targets (the class decision).
/// </summary>
/// <param name="data">The sequences and their labels (0 or 1).</param>
/// <param name="squash">tanh or logistic, applied to the raw output.</param>
/// <param name="targets">[2] the target value of class 0 and of class 1.</param>
/// <param name="tolerance">The largest |y − target| still right; null for the class decision.</param>
public sealed class LastStepBinaryBatch(SequenceClassificationBatch data, OutputSquash squash, float[] targets, float? tolerance) : TaskBatch
{
    private readonly float _midpoint = (targets[0] + targets[1]) / 2;

    /// <summary>The underlying batch: inputs and one label (0 or 1) per sequence.</summary>
    public SequenceClassificationBatch Data { get; } = data;
    /// <inheritdoc/>
    public override Tensor Inputs => Data.Inputs;
    /// <inheritdoc/>
    public override int[] Lengths => Data.Lengths;

    /// <summary>The target value of sequence <paramref name="row"/>.</summary>
    public float Target(int row) => targets[Data.Labels[row]];

    /// <summary>Whether the squashed output <paramref name="y"/> is right for sequence <paramref name="row"/>.</summary>
    public bool IsRight(int row, float y)
    {
        float target = Target(row);
        return tolerance is float tol ? MathF.Abs(y - target) < tol : (y - _midpoint) * (target - _midpoint) > 0;
    }

    /// <inheritdoc/>
    public override int ScoredCount => BatchSize;

    /// <inheritdoc/>
    public override double Loss(ReadOnlySpan<float> outputs, Span<float> dOutputs)
    {
        CheckShape(outputs);
        dOutputs.Clear();
        double loss = 0;
        for (int b = 0; b < BatchSize; b++)
        {
            int i = LastStepIndex(b);
            loss += RowLoss(b, outputs[i], out dOutputs[i]);
        }
        return loss;
    }

    /// <inheritdoc/>
    public override bool TryStepLoss(int step, int row, ReadOnlySpan<float> output, Span<float> dOutput, out double loss)
    {
        loss = 0;
        if (step != Lengths[row] - 1) return false;
        loss = RowLoss(row, output[0], out dOutput[0]);
        return true;
    }

    /// <summary>
    /// Squared error of a squashed output is no matching loss: this is its Gauss-Newton part, the squash taken as the
    /// network's last layer — 2·s′(x)²/rows at each row's last step (the term e·s″ that could make it indefinite left out).
    /// </summary>
    public override void LossCurvature(int rows, ReadOnlySpan<float> outputs, ReadOnlySpan<float> r, Span<float> hr)
    {
        CheckCurvatureShape(rows, 1, outputs.Length, r.Length, hr.Length);
        hr.Clear();
        for (int b = 0; b < rows; b++)
        {
            int i = (Lengths[b] - 1) * rows + b;
            float slope = squash.DerivativeFromOutput(squash.Apply(outputs[i]));
            hr[i] = 2f * slope * slope / rows * r[i];
        }
    }

    /// <inheritdoc/>
    public override void Judge(ReadOnlySpan<float> outputs, Span<bool> correct)
    {
        CheckShape(outputs);
        for (int b = 0; b < BatchSize; b++) correct[b] = IsRight(b, squash.Apply(outputs[LastStepIndex(b)]));
    }

    /// <inheritdoc/>
    public override string Describe(int row)
    {
        var text = new StringBuilder();
        int f = Data.FeatureCount, shown = Math.Min(Lengths[row], 12);
        for (int t = 0; t < shown; t++)
        {
            text.Append(t == 0 ? "" : " ");
            var step = Data.Inputs.Data.AsSpan((t * BatchSize + row) * f, f);
            text.Append(f == 1 ? Format(step[0]) : "(" + string.Join(", ", step.ToArray().Select(Format)) + ")");
        }
        if (Lengths[row] > shown) text.Append(" …");
        return $"length {Lengths[row]}: {text}  →  class {Data.Labels[row]}, target {Target(row).ToString("0.0", CultureInfo.InvariantCulture)}";
    }

    // One row's share of the batch mean and the gradient with respect to its raw output.
    private double RowLoss(int row, float output, out float dOutput)
    {
        float y = squash.Apply(output), e = y - Target(row);
        dOutput = 2f * e * squash.DerivativeFromOutput(y) / BatchSize;
        return (double)e * e / BatchSize;
    }

    private int LastStepIndex(int b) => (Lengths[b] - 1) * BatchSize + b;

    private void CheckShape(ReadOnlySpan<float> outputs)
    {
        if (outputs.Length != Steps * BatchSize) throw new ArgumentException($"Expected outputs [{Steps}, {BatchSize}, 1], got {outputs.Length} values.");
    }
}
