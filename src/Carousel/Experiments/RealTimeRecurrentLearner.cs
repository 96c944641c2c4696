using System.Numerics.Tensors;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Experiments;

/// <summary>The loss applied to the readout's output at a step that has a target.</summary>
public enum OnlineLoss
{
    /// <summary>½·Σ(y − target)², the loss of the classic papers (Williams &amp; Zipser 1989; Hochreiter &amp; Schmidhuber 1997).</summary>
    HalfSquaredError,
    /// <summary>Independent sigmoid outputs with binary cross-entropy (mean over outputs); targets are probabilities.</summary>
    SigmoidCrossEntropy,
    /// <summary>Softmax cross-entropy; the target is a one-hot vector (its largest entry names the class).</summary>
    SoftmaxCrossEntropy,
}

/// <summary>
/// Real-time recurrent learning (Williams &amp; Zipser 1989): exact gradients computed forward in time, for a
/// single-layer Elman RNN (tanh) or LSTM with a linear readout. Alongside the state it carries the sensitivities
/// ∂h_t/∂θ (and ∂c_t/∂θ) of every unit to every recurrent parameter, so that at a step with a target the gradient
/// of that step's loss with respect to all parameters is available at once, without storing the past.
/// It works on the <see cref="Parameter"/> objects of a <see cref="RecurrentStack"/> (1 layer, 1 direction,
/// zero initial state) and a <see cref="Linear"/>, so one set of weights can be trained by RTRL or by BPTT.
/// </summary>
/// <remarks>
/// Cost per step with H units, In inputs and G gate blocks (1 for the RNN, 4 for the LSTM): the recurrent
/// parameters number P = G·H·(In + H + 2); the sensitivities of the G·H pre-activations are W_hh [G·H, H] times
/// ∂h_{t−1}/∂θ [H, P], G²·H³·(In + H + 2) multiply-adds — O(n⁴) for n = H units (≈ 16·H⁴ for the LSTM). Memory:
/// ∂h/∂θ (twice: previous and current) and, for the LSTM, ∂c/∂θ, each [H, P] in double — O(n³).
/// Sensitivities are kept in double so that a long stream does not accumulate float32 rounding.
/// When weights change between steps (online updates), the carried sensitivities were computed with the old
/// weights: the usual RTRL approximation, exact again after <see cref="Reset"/>.
/// </remarks>
public sealed class RealTimeRecurrentLearner : IModule
{
    private readonly Parameter _weightIh, _weightHh, _biasIh, _biasHh;
    private readonly bool _lstm;
    private readonly int _inputSize, _hidden, _gateCount, _gateWidth;
    private readonly int _offsetWeightHh, _offsetBiasIh, _offsetBiasHh; // where each recurrent parameter starts in θ
    private int _lossesSinceUpdate;

    private double[] _h, _hPrev;                         // [H] h_t, h_{t−1}
    private readonly double[] _c;                        // [H] c_t (LSTM; updated in place)
    private readonly double[] _pre;                      // [G·H] pre-activations a_t = W_ih x + b_ih + W_hh h_{t−1} + b_hh
    private double[] _dh, _dhPrev;                       // [H, P] ∂h_t/∂θ, ∂h_{t−1}/∂θ
    private readonly double[] _dc;                       // [H, P] ∂c_t/∂θ (LSTM; updated in place, row k needs only row k)
    private readonly double[] _gateSensitivity;          // [G, block] ∂a/∂θ of the G gate rows of one unit, one block of θ
    private readonly double[] _lstmCoefficients;         // [H, 6] the LSTM's local derivatives of the current step
    private const int ColumnBlock = 256;                 // columns of θ per block: [H, block] of ∂h_{t−1}/∂θ stays in cache
    private readonly double[] _parameterGradient;        // [P]    ∂L_t/∂θ of one step's loss
    private readonly float[] _hidden32;                  // [H]    h_t for the readout
    private readonly float[] _output, _dOutput;          // [Out]
    private readonly float[] _dHidden;                   // [H]    ∂L_t/∂h_t
    private readonly int[] _targetClass = new int[1];

    /// <summary>The single recurrent layer whose parameters RTRL trains (shared, so BPTT can train the same weights).</summary>
    public RecurrentStack Recurrent { get; }

    /// <summary>The linear layer from the hidden state h_t [H] to the output y_t [Out].</summary>
    public Linear Readout { get; }

    /// <summary>The loss applied to the readout's output at each step with a target.</summary>
    public OnlineLoss Loss { get; }

    /// <summary>When set, <see cref="Step"/> applies it (clip, optimizer step, zeroed gradients) after every <see cref="UpdateEvery"/>-th loss.</summary>
    public WeightUpdate? Update { get; set; }

    /// <summary>Number of steps with a target between optimizer updates (1: after every loss).</summary>
    public int UpdateEvery
    {
        get;
        set => field = value > 0 ? value : throw new ArgumentException($"UpdateEvery must be positive, got {value}.");
    } = 1;

    /// <summary>Number of recurrent parameters P (the readout's are exact without sensitivities).</summary>
    public int RecurrentParameterCount { get; }

    /// <summary>The readout's output y_t [Out] after the last <see cref="Advance"/>.</summary>
    public ReadOnlySpan<float> Output => _output;

    /// <summary>The hidden state h_t [H] after the last <see cref="Advance"/>.</summary>
    public ReadOnlySpan<float> Hidden => _hidden32;

    /// <summary>A learner that trains <paramref name="recurrent"/> and <paramref name="readout"/> by RTRL, starting from a zero state.</summary>
    /// <param name="recurrent">The recurrent layer: one layer, one direction, tanh RNN or LSTM, zero initial state.</param>
    /// <param name="readout">The linear readout; its inputs are the layer's H units.</param>
    /// <param name="loss">The loss at steps with a target.</param>
    public RealTimeRecurrentLearner(RecurrentStack recurrent, Linear readout, OnlineLoss loss = OnlineLoss.HalfSquaredError)
    {
        var o = recurrent.Options;
        if (Unsupported(o.Cell, o.Layers, o.Bidirectional) is { } reason) throw new ArgumentException($"Real-time recurrent learning: {reason}");
        if (o.InitialState != InitialStateMode.Zero)
            throw new ArgumentException("Real-time recurrent learning needs a zero initial state.");
        if (readout.InputSize != o.HiddenSize)
            throw new ArgumentException($"The readout takes {readout.InputSize} inputs, the recurrent layer has {o.HiddenSize} units.");
        Recurrent = recurrent;
        Readout = readout;
        Loss = loss;
        var p = recurrent.Parameters(); // weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0
        (_weightIh, _weightHh, _biasIh, _biasHh) = (p[0], p[1], p[2], p[3]);
        _lstm = o.Cell == CellKind.Lstm;
        _inputSize = o.InputSize;
        _hidden = o.HiddenSize;
        _gateCount = o.Cell.GateCount();
        _gateWidth = _gateCount * _hidden;
        _offsetWeightHh = _gateWidth * _inputSize;
        _offsetBiasIh = _offsetWeightHh + _gateWidth * _hidden;
        _offsetBiasHh = _offsetBiasIh + _gateWidth;
        RecurrentParameterCount = _offsetBiasHh + _gateWidth;

        int H = _hidden, P = RecurrentParameterCount;
        _h = new double[H]; _hPrev = new double[H];
        _c = new double[_lstm ? H : 0];
        _pre = new double[_gateWidth];
        _dh = new double[H * P]; _dhPrev = new double[H * P];
        _dc = new double[_lstm ? H * P : 0];
        _gateSensitivity = new double[_gateCount * ColumnBlock];
        _lstmCoefficients = new double[_lstm ? H * 6 : 0];
        _parameterGradient = new double[P];
        _hidden32 = new float[H];
        _output = new float[readout.OutputSize];
        _dOutput = new float[readout.OutputSize];
        _dHidden = new float[H];
    }

    /// <summary>
    /// The dominant work of one step, W_hh [G·H, H] times ∂h_{t−1}/∂θ [H, P] with P = G·H·(In + H + 2):
    /// G·H·H·P multiply-adds (≈ 16·H⁴ for the LSTM).
    /// </summary>
    public static long MultiplyAddsPerStep(CellKind cell, int inputSize, int hidden)
    {
        long gateWidth = (long)cell.GateCount() * hidden;
        return gateWidth * hidden * gateWidth * (inputSize + hidden + 2);
    }

    /// <summary>Why a recurrent stack of this shape cannot be trained by RTRL here, or null when it can.</summary>
    public static string? Unsupported(CellKind cell, int layers, bool bidirectional) =>
        cell is not (CellKind.RnnTanh or CellKind.Lstm) ? $"it supports the tanh RNN and the LSTM, not {cell.ToCliName()}."
        : layers != 1 ? $"it needs one layer, not {layers}."
        : bidirectional ? "it needs one direction: a bidirectional layer reads the future." : null;

    /// <summary>The recurrent parameters then the readout's, named "rnn.weight_ih_l0" … "readout.bias" (for optimizers and state dicts).</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() =>
        [.. Recurrent.Parameters().Prefixed("rnn."), .. Readout.Parameters().Prefixed("readout.")];

    /// <summary>The module's mode; it changes nothing here (no dropout: every step runs the same way).</summary>
    public bool Training { get; set; } = true;

    /// <summary>None: the learner draws no dropout masks.</summary>
    public IReadOnlyList<Rng> DropoutRngs => [];

    /// <summary>Starts a new sequence: zero state, zero sensitivities. Gradients are left as they are.</summary>
    public void Reset()
    {
        Array.Clear(_h); Array.Clear(_c); Array.Clear(_dh); Array.Clear(_dc);
        Array.Clear(_hidden32);
    }

    /// <summary>
    /// One step: x_t [In] → h_t, c_t, their sensitivities, and the readout y_t (<see cref="Output"/>);
    /// if <paramref name="target"/> is not empty, the loss of y_t against it, whose gradient is added at once into
    /// every parameter's Grad (and applied by the <see cref="Update"/>, when set, every <see cref="UpdateEvery"/> losses).
    /// Returns the loss (0 without a target).
    /// </summary>
    public double Step(ReadOnlySpan<float> input, ReadOnlySpan<float> target)
    {
        Advance(input);
        if (target.IsEmpty) return 0;
        if (target.Length != _output.Length) throw new ArgumentException($"Expected a target of {_output.Length} values, got {target.Length}.");
        double loss = ComputeLoss(target);
        AddOutputGradient(_dOutput);
        if (Update is not null && ++_lossesSinceUpdate >= UpdateEvery)
        {
            Update.Apply();
            _lossesSinceUpdate = 0;
        }
        return loss;
    }

    /// <summary>Runs the network and its sensitivities one step on x_t [In] and computes the readout's output.</summary>
    public void Advance(ReadOnlySpan<float> input)
    {
        if (input.Length != _inputSize) throw new ArgumentException($"Expected {_inputSize} inputs, got {input.Length}.");
        (_h, _hPrev) = (_hPrev, _h);
        (_dh, _dhPrev) = (_dhPrev, _dh);
        ComputePreActivations(input);
        if (_lstm) AdvanceLstm(input); else AdvanceRnn(input);
        for (int k = 0; k < _hidden; k++) _hidden32[k] = (float)_h[k];
        Readout.Forward(_hidden32, 1, _output);
    }

    /// <summary>
    /// Adds the gradient of a loss at the current step, given ∂L/∂y_t [Out], into every parameter's Grad:
    /// the readout's directly, the recurrent ones as ∂L/∂h_t · ∂h_t/∂θ.
    /// </summary>
    public void AddOutputGradient(ReadOnlySpan<float> dOutput)
    {
        Readout.Backward(dOutput, _dHidden);
        int P = RecurrentParameterCount;
        var gradient = _parameterGradient.AsSpan();
        gradient.Clear();
        // ∂L/∂θ [P] = Σ_k ∂L/∂h_k · ∂h_k/∂θ
        for (int k = 0; k < _hidden; k++)
            TensorPrimitives.MultiplyAdd(_dh.AsSpan(k * P, P), (double)_dHidden[k], gradient, gradient);
        AddInto(_weightIh, gradient[.._offsetWeightHh]);
        AddInto(_weightHh, gradient[_offsetWeightHh.._offsetBiasIh]);
        AddInto(_biasIh, gradient[_offsetBiasIh.._offsetBiasHh]);
        AddInto(_biasHh, gradient[_offsetBiasHh..]);
    }

    private static void AddInto(Parameter parameter, ReadOnlySpan<double> gradient)
    {
        var g = parameter.Grad.Data;
        for (int i = 0; i < g.Length; i++) g[i] += (float)gradient[i];
    }

    private double ComputeLoss(ReadOnlySpan<float> target)
    {
        switch (Loss)
        {
            case OnlineLoss.HalfSquaredError:
                return SquaredError.HalfSum(_output, target, _dOutput);
            case OnlineLoss.SigmoidCrossEntropy:
                return SigmoidBinaryCrossEntropy.Compute(_output, target, _output.Length, default, _dOutput);
            default:
                _targetClass[0] = TensorPrimitives.IndexOfMax(target);
                return SoftmaxCrossEntropy.Compute(_output, _targetClass, _output.Length, _dOutput).MeanLoss;
        }
    }

    // a [G·H] = W_ih x + b_ih + W_hh h_{t−1} + b_hh, in double.
    private void ComputePreActivations(ReadOnlySpan<float> input)
    {
        int In = _inputSize, H = _hidden;
        var wIh = _weightIh.Value.Data; var wHh = _weightHh.Value.Data;
        var bIh = _biasIh.Value.Data; var bHh = _biasHh.Value.Data;
        for (int r = 0; r < _gateWidth; r++)
        {
            double a = (double)bIh[r] + bHh[r];
            for (int j = 0; j < In; j++) a += (double)wIh[r * In + j] * input[j];
            for (int m = 0; m < H; m++) a += (double)wHh[r * H + m] * _hPrev[m];
            _pre[r] = a;
        }
    }

    /// <summary>
    /// Columns [p0, p0 + width) of ∂a_r/∂θ for gate row r = q·H + k, into row q of the gate sensitivities [G, block]:
    /// the recurrent path W_hh[r, :] · ∂h_{t−1}/∂θ, plus the direct terms of row r's own parameters (x_j, h_{t−1,m}, 1, 1)
    /// that fall in the block.
    /// </summary>
    private Span<double> GateRowSensitivity(int q, int k, int p0, int width, ReadOnlySpan<float> input)
    {
        int P = RecurrentParameterCount, In = _inputSize, H = _hidden, r = q * H + k;
        var row = _gateSensitivity.AsSpan(q * ColumnBlock, width);
        row.Clear();
        var wHh = _weightHh.Value.Data.AsSpan(r * H, H);
        for (int m = 0; m < H; m++)
            if (wHh[m] != 0f) TensorPrimitives.MultiplyAdd(_dhPrev.AsSpan(m * P + p0, width), (double)wHh[m], row, row);
        int end = p0 + width;
        for (int i = Math.Max(r * In, p0), last = Math.Min((r + 1) * In, end); i < last; i++) row[i - p0] += input[i - r * In];
        int hh = _offsetWeightHh + r * H;
        for (int i = Math.Max(hh, p0), last = Math.Min(hh + H, end); i < last; i++) row[i - p0] += _hPrev[i - hh];
        if (_offsetBiasIh + r >= p0 && _offsetBiasIh + r < end) row[_offsetBiasIh + r - p0] += 1;
        if (_offsetBiasHh + r >= p0 && _offsetBiasHh + r < end) row[_offsetBiasHh + r - p0] += 1;
        return row;
    }

    // h = tanh(a): ∂h_k/∂θ = (1 − h_k²) · ∂a_k/∂θ.
    private void AdvanceRnn(ReadOnlySpan<float> input)
    {
        int P = RecurrentParameterCount, H = _hidden;
        for (int k = 0; k < H; k++) _h[k] = Math.Tanh(_pre[k]);
        // Block by block over θ, so that the block of ∂h_{t−1}/∂θ [H, block] stays in cache while every row uses it.
        for (int p0 = 0; p0 < P; p0 += ColumnBlock)
        {
            int width = Math.Min(ColumnBlock, P - p0);
            for (int k = 0; k < H; k++)
                TensorPrimitives.Multiply(GateRowSensitivity(0, k, p0, width, input), 1 - _h[k] * _h[k], _dh.AsSpan(k * P + p0, width));
        }
    }

    // PyTorch's LSTM, gates i, f, g, o:  c = f⊙c' + i⊙g,  h = o⊙tanh(c). Differentiated forward per unit k:
    // ∂c = f·∂c' + c'·f(1−f)·∂a_f + g·i(1−i)·∂a_i + i·(1−g²)·∂a_g
    // ∂h = tanh(c)·o(1−o)·∂a_o + o·(1 − tanh²c)·∂c
    private void AdvanceLstm(ReadOnlySpan<float> input)
    {
        int P = RecurrentParameterCount, H = _hidden;
        var coefficients = _lstmCoefficients; // [H, 6]: f, ∂c/∂a_f, ∂c/∂a_i, ∂c/∂a_g, ∂h/∂a_o, ∂h/∂c
        for (int k = 0; k < H; k++)
        {
            double i = Sigmoid(_pre[k]), f = Sigmoid(_pre[H + k]), g = Math.Tanh(_pre[2 * H + k]), o = Sigmoid(_pre[3 * H + k]);
            double cPrev = _c[k], c = f * cPrev + i * g, tanhC = Math.Tanh(c);
            _c[k] = c;
            _h[k] = o * tanhC;
            var ck = coefficients.AsSpan(k * 6, 6);
            (ck[0], ck[1], ck[2], ck[3], ck[4], ck[5]) = (f, cPrev * f * (1 - f), g * i * (1 - i), i * (1 - g * g), tanhC * o * (1 - o), o * (1 - tanhC * tanhC));
        }
        for (int p0 = 0; p0 < P; p0 += ColumnBlock)
        {
            int width = Math.Min(ColumnBlock, P - p0);
            for (int k = 0; k < H; k++)
            {
                var ck = coefficients.AsSpan(k * 6, 6);
                var dI = GateRowSensitivity(0, k, p0, width, input);
                var dF = GateRowSensitivity(1, k, p0, width, input);
                var dG = GateRowSensitivity(2, k, p0, width, input);
                var dO = GateRowSensitivity(3, k, p0, width, input);
                var dc = _dc.AsSpan(k * P + p0, width);
                TensorPrimitives.Multiply(dc, ck[0], dc);
                TensorPrimitives.MultiplyAdd(dF, ck[1], dc, dc);
                TensorPrimitives.MultiplyAdd(dI, ck[2], dc, dc);
                TensorPrimitives.MultiplyAdd(dG, ck[3], dc, dc);
                var dh = _dh.AsSpan(k * P + p0, width);
                TensorPrimitives.Multiply(dO, ck[4], dh);
                TensorPrimitives.MultiplyAdd(dc, ck[5], dh, dh);
            }
        }
    }

    private static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));
}
