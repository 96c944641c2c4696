using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Experiments.Tasks;

/// <summary>
/// The products a Hessian-free step needs (<see cref="ICurvatureProducts"/>) for a <see cref="SequenceTagger"/> on a task
/// batch: weights flattened in <see cref="SequenceTagger.NamedParameters"/> order (the stack's, then the output layer's).
/// G·v = Jᵀ·H_L·(J·v): J·v by the R-operator — Rh from <see cref="RecurrentTangent"/>, then Ry = V_o·h + Rb_o + W_o·Rh —,
/// H_L by the task's <see cref="TaskBatch.LossCurvature"/>, Jᵀ by the tagger's own backward (output layer, then stack)
/// after one forward over the curvature rows. Structural damping adds (λμ / B)·Rh_t to the gradient of every hidden state.
/// </summary>
public sealed class TaggerCurvature : ICurvatureProducts
{
    private readonly Parameter[] _parameters;
    private readonly RecurrentTangent _tangent;
    private readonly int _stackWeights, _hidden, _outputs;
    private TaskBatch? _batch;
    private int _rows;
    private float[] _weights = [];                  // [n] θ when the gradient was taken: LossAt adds trial steps to it
    private float[] _x = [], _scratch = [];         // [T, rows, F] the curvature rows' inputs; [T, B, K] loss gradient scratch
    private int[] _lengths = [];                    // [rows]
    private float[] _outputsAt = [], _ry = [], _hry = [], _dh = []; // [T, rows, K] ×3, [T, rows, H]
    private bool _curvatureForward;                 // whether the tagger's last forward was over the curvature rows

    /// <summary>The products for <paramref name="model"/> (a one-layer tanh RNN or LSTM reading features).</summary>
    public TaggerCurvature(SequenceTagger model)
    {
        Model = model;
        _parameters = [.. model.NamedParameters().Select(p => p.Parameter)];
        _tangent = new RecurrentTangent(model.Rnn);
        _stackWeights = _tangent.ParameterCount;
        _hidden = model.Rnn.Options.HiddenSize;
        _outputs = model.OutputCount;
        Dimension = _parameters.Sum(p => p.Value.Length);
        if (Dimension != _stackWeights + model.Output.Weight.Value.Length + (model.Output.Bias?.Value.Length ?? 0))
            throw new ArgumentException("Hessian-free training needs a tagger whose only weights are its stack's and its output layer's.");
    }

    /// <summary>The tagger.</summary>
    public SequenceTagger Model { get; }

    /// <inheritdoc/>
    public int Dimension { get; }

    /// <summary>Takes <paramref name="batch"/> as the gradient batch and its first <paramref name="curvatureRows"/> sequences as the curvature batch.</summary>
    public void Use(TaskBatch batch, int curvatureRows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(curvatureRows);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(curvatureRows, batch.BatchSize);
        _batch = batch;
        _rows = curvatureRows;
        int T = batch.Steps, B = batch.BatchSize, F = batch.Inputs.Dim(2), C = curvatureRows;
        if (_x.Length != T * C * F) _x = new float[T * C * F];
        for (int t = 0; t < T; t++) batch.Inputs.Data.AsSpan(t * B * F, C * F).CopyTo(_x.AsSpan(t * C * F, C * F));
        _lengths = batch.Lengths[..C];
        if (_outputsAt.Length != T * C * _outputs) { _outputsAt = new float[T * C * _outputs]; _ry = new float[_outputsAt.Length]; _hry = new float[_outputsAt.Length]; }
        if (_dh.Length != T * C * _hidden) _dh = new float[T * C * _hidden];
        _curvatureForward = false;
    }

    private TaskBatch Batch => _batch ?? throw new InvalidOperationException("No batch: call Use first.");

    /// <inheritdoc/>
    public double LossAndGradient(Span<float> gradient)
    {
        var batch = Batch;
        Model.Training = true;
        foreach (var p in _parameters) p.ZeroGrad();
        var outputs = Model.Forward(batch.Inputs, batch.Lengths);
        _curvatureForward = false;
        if (_scratch.Length != outputs.Length) _scratch = new float[outputs.Length];
        double loss = batch.Loss(outputs.Data, _scratch);
        Model.Backward(_scratch);
        Gather(p => p.Grad.Data, gradient);
        if (_weights.Length != Dimension) _weights = new float[Dimension];
        Gather(p => p.Value.Data, _weights);
        return loss;
    }

    /// <inheritdoc/>
    public double LossAt(ReadOnlySpan<float> delta)
    {
        var batch = Batch;
        SetWeights(delta);
        var outputs = Model.Forward(batch.Inputs, batch.Lengths);
        _curvatureForward = false;
        if (_scratch.Length != outputs.Length) _scratch = new float[outputs.Length];
        double loss = batch.Loss(outputs.Data, _scratch);
        SetWeights(default);
        return loss;
    }

    /// <inheritdoc/>
    public void CurvatureProduct(ReadOnlySpan<float> v, float structuralDamping, Span<float> result)
    {
        var batch = Batch;
        int T = batch.Steps, C = _rows, H = _hidden, K = _outputs, rows = T * C;
        if (v.Length != Dimension || result.Length != Dimension) throw new ArgumentException($"Expected vectors of {Dimension} values.");
        Model.Training = true;
        if (!_curvatureForward)
        {
            // One forward over the curvature rows keeps what every backward below needs.
            Model.Forward(new Tensor(_x, T, C, _x.Length / rows), _lengths).Data.CopyTo(_outputsAt, 0);
            _curvatureForward = true;
        }
        // J·v: Rh by the R-operator, then Ry = h·V_oᵀ + Rb_o + Rh·W_oᵀ.  [T·C, K]
        _tangent.Forward(_x, T, C, _lengths, v[.._stackWeights]);
        var output = Model.Output;
        int outWeights = output.Weight.Value.Length;
        var vo = v.Slice(_stackWeights, outWeights);
        Kernels.Gemm.Multiply(false, true, rows, K, H, _tangent.Hidden, vo, _ry, accumulate: false);
        Kernels.Gemm.Multiply(false, true, rows, K, H, _tangent.HiddenTangent, output.Weight.Value.Data, _ry, accumulate: true);
        if (output.Bias is not null)
        {
            var vb = v.Slice(_stackWeights + outWeights, K);
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < K; k++) _ry[r * K + k] += vb[k];
        }
        // H_L·(J·v), then Jᵀ of that by the tagger's backward, with (λμ / C)·Rh added to each hidden state's gradient.
        batch.LossCurvature(C, _outputsAt, _ry, _hry);
        foreach (var p in _parameters) p.ZeroGrad();
        output.Backward(_hry, _dh);
        if (structuralDamping > 0)
        {
            float scale = structuralDamping / C;
            var rh = _tangent.HiddenTangent;
            for (int t = 0; t < T; t++)
                for (int b = 0; b < C; b++)
                {
                    if (t >= _lengths[b]) continue; // padding: no state change to penalise
                    int at = (t * C + b) * H;
                    for (int j = at; j < at + H; j++) _dh[j] += scale * rh[j];
                }
        }
        Model.Rnn.Backward(new Tensor(_dh, T, C, H));
        Gather(p => p.Grad.Data, result);
    }

    /// <inheritdoc/>
    public void AddToWeights(ReadOnlySpan<float> delta)
    {
        int at = 0;
        foreach (var p in _parameters)
        {
            var values = p.Value.Data;
            for (int i = 0; i < values.Length; i++) values[i] += delta[at + i];
            at += values.Length;
            p.MarkChanged();
        }
        _curvatureForward = false;
        _weights = [];
    }

    // θ = the weights of the gradient + delta (delta empty: θ itself).
    private void SetWeights(ReadOnlySpan<float> delta)
    {
        if (_weights.Length != Dimension) throw new InvalidOperationException("LossAt needs LossAndGradient first.");
        int at = 0;
        foreach (var p in _parameters)
        {
            var values = p.Value.Data;
            for (int i = 0; i < values.Length; i++) values[i] = _weights[at + i] + (delta.IsEmpty ? 0 : delta[at + i]);
            at += values.Length;
            p.MarkChanged();
        }
    }

    private void Gather(Func<Parameter, float[]> of, Span<float> into)
    {
        int at = 0;
        foreach (var p in _parameters)
        {
            of(p).AsSpan().CopyTo(into.Slice(at));
            at += p.Value.Length;
        }
    }
}
