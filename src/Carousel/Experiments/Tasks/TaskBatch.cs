using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using Carousel.Data.Tasks;
using Carousel.Losses;
using Carousel.Tensors;

namespace Carousel.Experiments.Tasks;

/// <summary>
/// A batch of a benchmark task as <see cref="TaskTrainer"/> sees it: inputs [T, B, F] with lengths [B], and how
/// the model's outputs [T, B, K] (one output vector per step) are scored — the training loss with its gradient,
/// and the task's own success criterion for each sequence. The four kinds differ in where the targets are:
/// one value at the last step (<see cref="LastStepRegressionBatch"/>), one class at the last step
/// (<see cref="LastStepClassificationBatch"/>), a set of legal next symbols at every step
/// (<see cref="LegalNextSetBatch"/>) or a class at some steps (<see cref="StepClassificationTaskBatch"/>).
/// </summary>
public abstract class TaskBatch
{
    /// <summary>[T, B, F] inputs, zero after each sequence's end.</summary>
    public abstract Tensor Inputs { get; }

    /// <summary>[B] number of real steps of each sequence.</summary>
    public abstract int[] Lengths { get; }

    /// <summary>T, the steps of the padded inputs (at least the longest sequence's length).</summary>
    public int Steps => Inputs.Dim(0);

    /// <summary>B, the sequences in the batch.</summary>
    public int BatchSize => Inputs.Dim(1);

    /// <summary>
    /// The mean training loss of <paramref name="outputs"/> [T, B, K]; writes its gradient into every element of
    /// <paramref name="dOutputs"/> [T, B, K] (zero where nothing is scored).
    /// </summary>
    public abstract double Loss(ReadOnlySpan<float> outputs, Span<float> dOutputs);

    /// <summary>What <see cref="Loss"/> is a mean over: sequences, scored steps or active steps (the count each <see cref="TryStepLoss"/> term is divided by).</summary>
    public abstract int ScoredCount { get; }

    /// <summary>
    /// The term of <see cref="Loss"/> that belongs to sequence <paramref name="row"/> at <paramref name="step"/>, for
    /// learners that see one output at a time (real-time recurrent learning). Every task's loss is a sum of such terms,
    /// each depending only on that step's output [K] and scaled by a count that does not depend on the outputs, so the
    /// terms over all (step, row) add up to <see cref="Loss"/> and their gradients to its dOutputs. Writes the term's
    /// gradient into <paramref name="dOutput"/> [K] and returns true, or returns false when nothing is scored there.
    /// </summary>
    public abstract bool TryStepLoss(int step, int row, ReadOnlySpan<float> output, Span<float> dOutput, out double loss);

    /// <summary>
    /// The loss's half of a Gauss-Newton product (Hessian-free training): <paramref name="hr"/> = H·<paramref name="r"/>, with H
    /// the Hessian, with respect to the outputs, of the loss of the first <paramref name="rows"/> sequences taken alone (their
    /// mean, as <see cref="Loss"/> is over the whole batch). Each task's loss matches its outputs (squared error on linear
    /// outputs, cross-entropy on softmax or sigmoid outputs), so H is positive semi-definite. outputs, r, hr: [T, rows, K],
    /// the outputs of those sequences alone; hr is zero where nothing is scored.
    /// </summary>
    public abstract void LossCurvature(int rows, ReadOnlySpan<float> outputs, ReadOnlySpan<float> r, Span<float> hr);

    /// <summary>Refuses a sub-batch of more rows than the batch has, or spans of the wrong size.</summary>
    protected void CheckCurvatureShape(int rows, int width, int outputs, int r, int hr)
    {
        if (rows < 1 || rows > BatchSize) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"Expected 1..{BatchSize} rows.");
        int expected = Steps * rows * width;
        if (outputs != expected || r != expected || hr != expected)
            throw new ArgumentException($"Expected [{Steps}, {rows}, {width}] = {expected} values, got {outputs}, {r} and {hr}.");
    }

    /// <summary>hr += (p ⊙ r − p·(p·r)) · scale for one softmax row: the Hessian of cross-entropy in the logits, times r.</summary>
    protected static void AddSoftmaxCurvature(ReadOnlySpan<float> logits, ReadOnlySpan<float> r, Span<float> hr, double scale)
    {
        double max = double.NegativeInfinity;
        foreach (float z in logits) max = Math.Max(max, z);
        Span<double> p = stackalloc double[logits.Length];
        double sum = 0;
        for (int k = 0; k < logits.Length; k++) sum += p[k] = Math.Exp(logits[k] - max);
        double pr = 0;
        for (int k = 0; k < logits.Length; k++) pr += (p[k] /= sum) * r[k];
        for (int k = 0; k < logits.Length; k++) hr[k] += (float)(scale * p[k] * (r[k] - pr));
    }

    /// <summary>Whether each sequence is processed right by the task's criterion: <paramref name="correct"/> [B].</summary>
    public abstract void Judge(ReadOnlySpan<float> outputs, Span<bool> correct);

    /// <summary>Sequence <paramref name="row"/> in readable form (inputs and targets), for `carousel task show`.</summary>
    public abstract string Describe(int row);

    /// <summary>The index of the largest of <paramref name="scores"/> (the first on ties).</summary>
    protected static int ArgMax(ReadOnlySpan<float> scores) => TensorPrimitives.IndexOfMax(scores);

    /// <summary>The first <paramref name="length"/> symbols of one-hot row <paramref name="row"/> of inputs [T, B, V] as text.</summary>
    protected static string OneHotText(Tensor inputs, int row, int length, string alphabet)
    {
        int batch = inputs.Dim(1), v = inputs.Dim(2);
        var text = new StringBuilder(length);
        for (int t = 0; t < length; t++) text.Append(alphabet[ArgMax(inputs.Data.AsSpan((t * batch + row) * v, v))]);
        return text.ToString();
    }

    /// <summary><paramref name="value"/> with three decimals, culture-invariant, for <see cref="Describe"/>.</summary>
    protected static string Format(float value) => value.ToString("0.000", CultureInfo.InvariantCulture);
}

/// <summary>
/// One real target per sequence at its last step (adding and multiplication problems), one linear output:
/// loss = mean over the batch of (y − target)², criterion |y − target| &lt; 0.04 (<see cref="MarkedPairProblem.IsCorrect"/>).
/// </summary>
/// <param name="data">The sequences, their marked inputs and their targets [B].</param>
/// <param name="padToSteps">
/// Pads the inputs with zero steps up to this many (when longer than the batch's own T): with every batch of the same
/// [T, B] the recurrent stack reuses its buffers instead of allocating them anew for each batch.
/// </param>
public sealed class LastStepRegressionBatch(SequenceRegressionBatch data, int padToSteps = 0) : TaskBatch
{
    private readonly float[] _predictions = new float[data.BatchSize];  // [B] outputs at each sequence's last step
    private readonly float[] _dPredictions = new float[data.BatchSize]; // [B]

    /// <summary>The underlying adding- or multiplication-problem batch, padded to the requested steps.</summary>
    public SequenceRegressionBatch Data { get; } = Padded(data, padToSteps);
    /// <inheritdoc/>
    public override Tensor Inputs => Data.Inputs;
    /// <inheritdoc/>
    public override int[] Lengths => Data.Lengths;

    /// <inheritdoc/>
    public override int ScoredCount => BatchSize;

    /// <inheritdoc/>
    public override double Loss(ReadOnlySpan<float> outputs, Span<float> dOutputs)
    {
        GatherLastSteps(outputs);
        double loss = SquaredError.Mean(_predictions, Data.Targets.Data, _dPredictions);
        dOutputs.Clear();
        for (int b = 0; b < BatchSize; b++) dOutputs[LastStepIndex(b)] = _dPredictions[b];
        return loss;
    }

    /// <inheritdoc/>
    public override bool TryStepLoss(int step, int row, ReadOnlySpan<float> output, Span<float> dOutput, out double loss)
    {
        loss = 0;
        if (step != Lengths[row] - 1) return false;
        loss = SquaredError.Mean(output, Data.Targets.Data.AsSpan(row, 1), dOutput) / BatchSize; // Loss is the mean over the batch
        TensorPrimitives.Multiply(dOutput, 1f / BatchSize, dOutput);
        return true;
    }

    /// <inheritdoc/>
    public override void LossCurvature(int rows, ReadOnlySpan<float> outputs, ReadOnlySpan<float> r, Span<float> hr)
    {
        CheckCurvatureShape(rows, 1, outputs.Length, r.Length, hr.Length);
        hr.Clear();
        // loss = mean over the rows of (y − target)²: ∂²/∂y² = 2 / rows at each row's last step.
        for (int b = 0; b < rows; b++)
        {
            int i = (Lengths[b] - 1) * rows + b;
            hr[i] = 2f / rows * r[i];
        }
    }

    /// <inheritdoc/>
    public override void Judge(ReadOnlySpan<float> outputs, Span<bool> correct)
    {
        GatherLastSteps(outputs);
        for (int b = 0; b < BatchSize; b++) correct[b] = MarkedPairProblem.IsCorrect(_predictions[b], Data.Targets.Data[b]);
    }

    /// <inheritdoc/>
    public override string Describe(int row)
    {
        int batch = BatchSize, length = Lengths[row];
        var marked = new StringBuilder();
        var values = Data.Inputs.Data;
        for (int t = 0; t < length; t++)
        {
            int i = (t * batch + row) * MarkedPairProblem.FeatureCount;
            if (values[i + 1] == 1f) marked.Append($"  X at step {t}: {Format(values[i])}");
        }
        return $"length {length}:{marked}  →  target {Format(Data.Targets.Data[row])}";
    }

    private static SequenceRegressionBatch Padded(SequenceRegressionBatch data, int steps)
    {
        if (steps <= data.Steps) return data;
        var inputs = new Tensor(steps, data.BatchSize, data.FeatureCount); // [T', B, F], the steps after T stay zero
        data.Inputs.Data.CopyTo(inputs.Data, 0);
        return data with { Inputs = inputs };
    }

    // The single output of sequence b is scored at its last step.
    private int LastStepIndex(int b) => (Lengths[b] - 1) * BatchSize + b;

    private void GatherLastSteps(ReadOnlySpan<float> outputs)
    {
        if (outputs.Length != Steps * BatchSize) throw new ArgumentException($"Expected outputs [{Steps}, {BatchSize}, 1], got {outputs.Length} values.");
        for (int b = 0; b < BatchSize; b++) _predictions[b] = outputs[LastStepIndex(b)];
    }
}

/// <summary>
/// One class per sequence at its last step (temporal order): softmax over the classes, cross-entropy;
/// a sequence is right when its most active output is its class.
/// </summary>
/// <param name="data">The one-hot sequences and their class labels [B].</param>
/// <param name="classCount">Classes K, the outputs per step.</param>
/// <param name="alphabet">The input symbols in one-hot order, to show the sequences as text.</param>
/// <param name="classNames">One character per class, in label order, to show the targets.</param>
public sealed class LastStepClassificationBatch(SequenceClassificationBatch data, int classCount, string alphabet, string classNames) : TaskBatch
{
    private readonly float[] _logits = new float[data.BatchSize * classCount];  // [B, K] logits at each last step
    private readonly float[] _dLogits = new float[data.BatchSize * classCount]; // [B, K]

    /// <summary>The underlying batch: one-hot inputs and one class label per sequence.</summary>
    public SequenceClassificationBatch Data { get; } = data;
    /// <inheritdoc/>
    public override Tensor Inputs => Data.Inputs;
    /// <inheritdoc/>
    public override int[] Lengths => Data.Lengths;

    /// <inheritdoc/>
    public override int ScoredCount => BatchSize;

    /// <inheritdoc/>
    public override double Loss(ReadOnlySpan<float> outputs, Span<float> dOutputs)
    {
        GatherLastSteps(outputs);
        var (loss, _) = SoftmaxCrossEntropy.Compute(_logits, Data.Labels, classCount, _dLogits);
        dOutputs.Clear();
        for (int b = 0; b < BatchSize; b++)
            _dLogits.AsSpan(b * classCount, classCount).CopyTo(dOutputs.Slice(LastStepIndex(b) * classCount, classCount));
        return loss;
    }

    /// <inheritdoc/>
    public override bool TryStepLoss(int step, int row, ReadOnlySpan<float> output, Span<float> dOutput, out double loss)
    {
        loss = 0;
        if (step != Lengths[row] - 1) return false;
        loss = SoftmaxCrossEntropy.Compute(output, Data.Labels.AsSpan(row, 1), classCount, dOutput).MeanLoss / BatchSize; // mean over the batch
        TensorPrimitives.Multiply(dOutput, 1f / BatchSize, dOutput);
        return true;
    }

    /// <inheritdoc/>
    public override void LossCurvature(int rows, ReadOnlySpan<float> outputs, ReadOnlySpan<float> r, Span<float> hr)
    {
        CheckCurvatureShape(rows, classCount, outputs.Length, r.Length, hr.Length);
        hr.Clear();
        for (int b = 0; b < rows; b++)
        {
            int i = ((Lengths[b] - 1) * rows + b) * classCount;
            AddSoftmaxCurvature(outputs.Slice(i, classCount), r.Slice(i, classCount), hr.Slice(i, classCount), 1.0 / rows);
        }
    }

    /// <inheritdoc/>
    public override void Judge(ReadOnlySpan<float> outputs, Span<bool> correct)
    {
        GatherLastSteps(outputs);
        for (int b = 0; b < BatchSize; b++) correct[b] = ArgMax(_logits.AsSpan(b * classCount, classCount)) == Data.Labels[b];
    }

    /// <inheritdoc/>
    public override string Describe(int row) =>
        $"{OneHotText(Data.Inputs, row, Lengths[row], alphabet)}  →  class {classNames[Data.Labels[row]]}";

    private int LastStepIndex(int b) => (Lengths[b] - 1) * BatchSize + b;

    private void GatherLastSteps(ReadOnlySpan<float> outputs)
    {
        if (outputs.Length != Steps * BatchSize * classCount) throw new ArgumentException($"Expected outputs [{Steps}, {BatchSize}, {classCount}], got {outputs.Length} values.");
        for (int b = 0; b < BatchSize; b++)
            outputs.Slice(LastStepIndex(b) * classCount, classCount).CopyTo(_logits.AsSpan(b * classCount, classCount));
    }

}

/// <summary>
/// The set of legal next symbols at every step (embedded Reber grammar, aⁿbⁿcⁿ): one sigmoid output per symbol,
/// binary cross-entropy; a sequence is right when at every step exactly the legal symbols have output above 0.5.
/// </summary>
/// <param name="data">The one-hot strings and the legal next symbols at each of their steps.</param>
/// <param name="alphabet">The symbols in one-hot order, to show the strings as text.</param>
public sealed class LegalNextSetBatch(SymbolPredictionBatch data, string alphabet) : TaskBatch
{
    private readonly bool[] _active = ActiveSteps(data.Lengths, data.Steps);   // [T·B]
    private readonly int _activeSteps = data.Lengths.Sum();                     // the rows Loss averages over
    private readonly float[] _probabilities = new float[data.Inputs.Length];   // [T, B, V]

    /// <summary>The underlying batch: one-hot strings and, at every step, the set of legal next symbols.</summary>
    public SymbolPredictionBatch Data { get; } = data;
    /// <inheritdoc/>
    public override Tensor Inputs => Data.Inputs;
    /// <inheritdoc/>
    public override int[] Lengths => Data.Lengths;

    /// <inheritdoc/>
    public override int ScoredCount => _activeSteps;

    /// <inheritdoc/>
    public override double Loss(ReadOnlySpan<float> outputs, Span<float> dOutputs) =>
        SigmoidBinaryCrossEntropy.Compute(outputs, Data.Targets.Data, Data.SymbolCount, _active, dOutputs);

    /// <inheritdoc/>
    public override bool TryStepLoss(int step, int row, ReadOnlySpan<float> output, Span<float> dOutput, out double loss)
    {
        loss = 0;
        if (!_active[step * BatchSize + row]) return false;
        int v = Data.SymbolCount;
        // One row's mean over its V outputs; Loss averages over all active rows' outputs.
        loss = SigmoidBinaryCrossEntropy.Compute(output, Data.Targets.Data.AsSpan((step * BatchSize + row) * v, v), v, default, dOutput) / _activeSteps;
        TensorPrimitives.Multiply(dOutput, 1f / _activeSteps, dOutput);
        return true;
    }

    /// <inheritdoc/>
    public override void LossCurvature(int rows, ReadOnlySpan<float> outputs, ReadOnlySpan<float> r, Span<float> hr)
    {
        int v = Data.SymbolCount;
        CheckCurvatureShape(rows, v, outputs.Length, r.Length, hr.Length);
        hr.Clear();
        long active = 0;
        for (int b = 0; b < rows; b++) active += Lengths[b];
        // Loss is the mean over every active row's V outputs of sigmoid cross-entropy: ∂²/∂z² = σ(z)(1 − σ(z)) / (active·V).
        double scale = 1.0 / (active * v);
        for (int t = 0; t < Steps; t++)
            for (int b = 0; b < rows; b++)
            {
                if (t >= Lengths[b]) continue;
                int i = (t * rows + b) * v;
                for (int k = i; k < i + v; k++)
                {
                    double p = SigmoidBinaryCrossEntropy.Sigmoid(outputs[k]);
                    hr[k] = (float)(scale * p * (1 - p) * r[k]);
                }
            }
    }

    /// <inheritdoc/>
    public override void Judge(ReadOnlySpan<float> outputs, Span<bool> correct)
    {
        TensorPrimitives.Sigmoid(outputs, _probabilities);
        for (int b = 0; b < BatchSize; b++) correct[b] = Data.RowCorrect(_probabilities, b);
    }

    /// <inheritdoc/>
    public override string Describe(int row)
    {
        var sets = new StringBuilder();
        for (int t = 0; t < Lengths[row]; t++) sets.Append(t == 0 ? "" : " ").Append('{').Append(LegalSets.ToSymbols(Data.Masks[t * BatchSize + row], alphabet)).Append('}');
        return $"{OneHotText(Data.Inputs, row, Lengths[row], alphabet)}  →  legal next: {sets}";
    }

    private static bool[] ActiveSteps(int[] lengths, int steps)
    {
        var active = new bool[steps * lengths.Length];
        for (int b = 0; b < lengths.Length; b++)
            for (int t = 0; t < lengths[b]; t++) active[t * lengths.Length + b] = true;
        return active;
    }
}

/// <summary>
/// A class at some steps and nothing at the others (copy task): softmax cross-entropy over the scored steps;
/// a sequence is right when every scored step's most active output is its target.
/// </summary>
/// <param name="data">The one-hot sequences and a target class at each step (<see cref="StepClassificationBatch.Ignore"/> where none).</param>
/// <param name="classCount">Classes K, the outputs per step.</param>
/// <param name="alphabet">The symbols in one-hot and class order, to show inputs and targets as text.</param>
public sealed class StepClassificationTaskBatch(StepClassificationBatch data, int classCount, string alphabet) : TaskBatch
{
    private readonly int _scoredSteps = data.Targets.Count(t => t != StepClassificationBatch.Ignore); // the steps Loss averages over

    /// <summary>The underlying batch: one-hot inputs and a target class, or none, at every step.</summary>
    public StepClassificationBatch Data { get; } = data;
    /// <summary>K, the classes: the outputs of each step.</summary>
    public int ClassCount => classCount;
    /// <inheritdoc/>
    public override Tensor Inputs => Data.Inputs;
    /// <inheritdoc/>
    public override int[] Lengths => Data.Lengths;

    /// <inheritdoc/>
    public override int ScoredCount => _scoredSteps;

    /// <inheritdoc/>
    public override double Loss(ReadOnlySpan<float> outputs, Span<float> dOutputs) =>
        SoftmaxCrossEntropy.Compute(outputs, Data.Targets, classCount, dOutputs).MeanLoss;

    /// <inheritdoc/>
    public override bool TryStepLoss(int step, int row, ReadOnlySpan<float> output, Span<float> dOutput, out double loss)
    {
        loss = 0;
        int i = step * BatchSize + row;
        if (Data.Targets[i] == StepClassificationBatch.Ignore) return false;
        loss = SoftmaxCrossEntropy.Compute(output, Data.Targets.AsSpan(i, 1), classCount, dOutput).MeanLoss / _scoredSteps;
        TensorPrimitives.Multiply(dOutput, 1f / _scoredSteps, dOutput);
        return true;
    }

    /// <inheritdoc/>
    public override void LossCurvature(int rows, ReadOnlySpan<float> outputs, ReadOnlySpan<float> r, Span<float> hr)
    {
        CheckCurvatureShape(rows, classCount, outputs.Length, r.Length, hr.Length);
        hr.Clear();
        int scored = 0;
        for (int t = 0; t < Steps; t++)
            for (int b = 0; b < rows; b++)
                if (Data.Targets[t * BatchSize + b] != StepClassificationBatch.Ignore) scored++;
        if (scored == 0) return;
        for (int t = 0; t < Steps; t++)
            for (int b = 0; b < rows; b++)
            {
                if (Data.Targets[t * BatchSize + b] == StepClassificationBatch.Ignore) continue;
                int i = (t * rows + b) * classCount;
                AddSoftmaxCurvature(outputs.Slice(i, classCount), r.Slice(i, classCount), hr.Slice(i, classCount), 1.0 / scored);
            }
    }

    /// <inheritdoc/>
    public override void Judge(ReadOnlySpan<float> outputs, Span<bool> correct)
    {
        for (int b = 0; b < BatchSize; b++) correct[b] = CopyTask.RowCorrect(Data, outputs, b);
    }

    /// <inheritdoc/>
    public override string Describe(int row)
    {
        var targets = new StringBuilder();
        for (int t = 0; t < Lengths[row]; t++)
        {
            int target = Data.Targets[t * BatchSize + row];
            targets.Append(target == StepClassificationBatch.Ignore ? '·' : alphabet[target]);
        }
        return $"input  {OneHotText(Data.Inputs, row, Lengths[row], alphabet)}\n  target {targets}";
    }
}

/// <summary>
/// A real target at every step, the same sequence in every row, no input (the waveform generation task): one linear
/// output, loss = mean over steps and rows of (y − target)², which is the normalised MSE when the target has unit
/// variance (<see cref="Waveform"/>). A sequence is right when its own mean squared error is below <paramref name="tolerance"/>.
/// </summary>
/// <param name="target">[T] the waveform.</param>
/// <param name="batchSize">B, copies of the sequence.</param>
/// <param name="tolerance">The largest mean squared error over the T steps that counts as right.</param>
public sealed class WaveformBatch(float[] target, int batchSize, double tolerance) : TaskBatch
{
    private readonly int[] _lengths = Enumerable.Repeat(target.Length, batchSize).ToArray();

    /// <inheritdoc/>
    public override Tensor Inputs { get; } = new(target.Length, batchSize, 1); // [T, B, 1] zeros: no input

    /// <inheritdoc/>
    public override int[] Lengths => _lengths;

    // Target of output index i = t·B + b.
    private float TargetAt(int i) => target[i / BatchSize];

    /// <inheritdoc/>
    public override int ScoredCount => target.Length * BatchSize; // every step of every row

    /// <inheritdoc/>
    public override double Loss(ReadOnlySpan<float> outputs, Span<float> dOutputs)
    {
        int n = target.Length * BatchSize;
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            double e = outputs[i] - TargetAt(i);
            sum += e * e;
            dOutputs[i] = (float)(2 * e / n);
        }
        return sum / n;
    }

    /// <inheritdoc/>
    public override void LossCurvature(int rows, ReadOnlySpan<float> outputs, ReadOnlySpan<float> r, Span<float> hr)
    {
        CheckCurvatureShape(rows, 1, outputs.Length, r.Length, hr.Length);
        // loss = mean over the T·rows outputs of (y − target)²: ∂²/∂y² = 2 / (T·rows) at every output.
        int n = target.Length * rows;
        for (int i = 0; i < n; i++) hr[i] = 2f / n * r[i];
    }

    /// <inheritdoc/>
    public override bool TryStepLoss(int step, int row, ReadOnlySpan<float> output, Span<float> dOutput, out double loss)
    {
        int n = target.Length * BatchSize;
        double e = output[0] - target[step];
        loss = e * e / n;
        dOutput[0] = (float)(2 * e / n);
        return true;
    }

    /// <inheritdoc/>
    public override void Judge(ReadOnlySpan<float> outputs, Span<bool> correct)
    {
        for (int b = 0; b < BatchSize; b++)
        {
            double sum = 0;
            for (int t = 0; t < target.Length; t++)
            {
                double e = outputs[t * BatchSize + b] - target[t];
                sum += e * e;
            }
            correct[b] = sum / target.Length < tolerance;
        }
    }

    /// <inheritdoc/>
    public override string Describe(int row) =>
        $"{target.Length} steps, no input; target (first 12): {string.Join(" ", target.Take(12).Select(Format))} …";
}
