using System.Numerics.Tensors;
using Carousel.Kernels;
using Carousel.Layers;
using Carousel.Tensors;

namespace Carousel.Models;

/// <summary>The sizes and delays of a <see cref="NarxNetwork"/>.</summary>
/// <param name="InputSize">F: the features of each step.</param>
/// <param name="HiddenSize">H: the tanh hidden units.</param>
/// <param name="OutputSize">K: the outputs of each step.</param>
/// <param name="InputDelays">a: the hidden layer sees x_t, x_{t−1}, …, x_{t−a} (a + 1 taps; 0: the current input alone).</param>
/// <param name="OutputDelays">b: the hidden layer sees y_{t−1}, …, y_{t−b} (0: no feedback, a feedforward net over a window).</param>
/// <param name="Feedback">What is fed back: the output layer's logits through this activation (the value the loss reads).</param>
public sealed record NarxOptions(int InputSize, int HiddenSize, int OutputSize, int InputDelays = 0, int OutputDelays = 1,
    OutputActivation Feedback = OutputActivation.Identity)
{
    /// <summary>Throws a <see cref="SettingException"/> naming the first size or delay out of range.</summary>
    public void Validate()
    {
        SettingException.Require(InputSize > 0, nameof(InputSize), $"InputSize must be positive, got {InputSize}.");
        SettingException.Require(HiddenSize > 0, "Hidden", $"Hidden must be positive, got {HiddenSize}.");
        SettingException.Require(OutputSize > 0, nameof(OutputSize), $"OutputSize must be positive, got {OutputSize}.");
        SettingException.Require(InputDelays >= 0, nameof(InputDelays), $"InputDelays must be ≥ 0 (0: the current input alone), got {InputDelays}.");
        SettingException.Require(OutputDelays >= 0, nameof(OutputDelays), $"OutputDelays must be ≥ 0 (0: no output feedback), got {OutputDelays}.");
    }
}

/// <summary>
/// NARX network (nonlinear autoregressive with exogenous inputs; Lin, Horne, Tiňo &amp; Giles 1996): one tanh hidden layer
/// that sees tapped delay lines of the input and of the network's own output, and a linear output layer. The only
/// recurrence goes through the output, and a delay of d lets the gradient jump d steps at once: with b output delays the
/// error reaches t − n through about n / b hidden layers instead of n (the paper's point: NARX latches information longer
/// than an Elman net). The Jordan network is the case a = 0, b = 1 (<see cref="JordanNetwork"/>).
/// <code>
/// h_t = tanh( Σ_{k=0..a} W_k x_{t−k} + Σ_{d=1..b} U_d y_{t−d} + b_h )    x_{&lt;0} = 0, y_{&lt;0} = 0
/// o_t = V h_t + c                                                         the outputs (logits) the loss reads
/// y_t = act(o_t)   (or, teacher forced, the target of step t)            the value fed back
/// </code>
/// Parameter names: weight_ih [(a+1)·H, F] (tap k = rows k·H..(k+1)·H − 1: W_k), weight_oh [b·H, K] (delay d = rows
/// (d−1)·H..d·H − 1: U_d; absent when b = 0), bias_h [H], output.weight [K, H], output.bias [K]. Backward is exact BPTT
/// through the feedback (through act's Jacobian), except where teacher forcing replaced y_t by a target.
/// </summary>
public sealed class NarxNetwork : IPerStepOutputModel
{
    private readonly int _f, _h, _k, _taps, _delays;
    private int _steps, _batch;
    private int[] _lengths = [];
    private float[] _input = [];      // [T, B, F] the input of the last Forward (a copy: the caller may reuse its buffer)
    private float[] _projected = [];  // [T·B, (a+1)·H] x_s · W_kᵀ for every step s and tap k, one GEMM before the loop
    private float[] _hidden = [];     // [T, B, H] h_t
    private float[] _outputs = [];    // [T, B, K] o_t, zero after each sequence's end
    private float[] _fed = [];        // [T, B, K] y_t, the value fed back (act(o_t), or the teacher's)
    private bool[] _forced = [];      // [T·B] whether y_t is the teacher's (no gradient flows through it)
    private float[] _dOutputs = [], _dPre = [], _dFed = [], _dProjected = []; // [T, B, K], [T, B, H], [T, B, K], [T·B, (a+1)·H]
    private float[] _dInput = [];     // [T, B, F] dL/dx of the last Backward

    /// <summary>The sizes and delays.</summary>
    public NarxOptions Options { get; }

    /// <summary>weight_ih [(a+1)·H, F]: the input taps W_0 … W_a stacked.</summary>
    public Parameter WeightIh { get; }

    /// <summary>weight_oh [b·H, K]: the output delays U_1 … U_b stacked; null when b = 0.</summary>
    public Parameter? WeightOh { get; }

    /// <summary>bias_h [H].</summary>
    public Parameter BiasH { get; }

    /// <summary>output: Linear(H, K), o_t = V h_t + c.</summary>
    public Linear Output { get; }

    /// <summary>A network of the given sizes, every weight drawn U(−1/√fan-in, 1/√fan-in) (PyTorch's nn.Linear rule).</summary>
    /// <param name="options">Sizes, delays and the activation of the fed-back output.</param>
    /// <param name="rng">Draws weight_ih, weight_oh, bias_h, then the output layer.</param>
    public NarxNetwork(NarxOptions options, Rng rng)
    {
        options.Validate();
        Options = options;
        (_f, _h, _k, _taps, _delays) = (options.InputSize, options.HiddenSize, options.OutputSize, options.InputDelays + 1, options.OutputDelays);
        float bound = 1f / MathF.Sqrt(_taps * _f + _delays * _k);
        WeightIh = new Parameter("weight_ih", new Tensor(_taps * _h, _f));
        rng.FillUniform(WeightIh.Value.Data, -bound, bound);
        if (_delays > 0)
        {
            WeightOh = new Parameter("weight_oh", new Tensor(_delays * _h, _k));
            rng.FillUniform(WeightOh.Value.Data, -bound, bound);
        }
        BiasH = new Parameter("bias_h", new Tensor(_h));
        rng.FillUniform(BiasH.Value.Data, -bound, bound);
        Output = new Linear(_h, _k, rng);
    }

    /// <inheritdoc/>
    public int OutputCount => _k;

    /// <summary>dL/dx [T, B, F] of the last <see cref="Backward"/> (the network's buffer until the next one): how far back the error reaches.</summary>
    public Tensor InputGradient => new(_dInput, _steps, _batch, _f);

    /// <summary>No effect: the network has no dropout.</summary>
    public bool Training { get; set; } = true;

    /// <inheritdoc/>
    public IReadOnlyList<Rng> DropoutRngs => [];

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() =>
    [
        ("weight_ih", WeightIh), .. WeightOh is null ? [] : new[] { ("weight_oh", WeightOh) }, ("bias_h", BiasH),
        .. Module.Child("output", Output),
    ];

    /// <inheritdoc/>
    public Tensor Forward(Tensor x, int[]? lengths) => Forward(x, lengths, null, null);

    /// <summary>
    /// x [T, B, F] → outputs o [T, B, K], zero after each sequence's end. With <paramref name="teacher"/> [T, B, K] the value
    /// fed back from step t of row b is the teacher's wherever <paramref name="teacherKnown"/> [T·B] says so (everywhere when
    /// null) instead of the network's own act(o_t) — teacher forcing; no gradient flows through a forced value.
    /// </summary>
    public Tensor Forward(Tensor x, int[]? lengths, Tensor? teacher, bool[]? teacherKnown)
    {
        if (x.Rank != 3 || x.Dim(2) != _f) throw new ArgumentException($"Expected input [T, B, {_f}], got {x}.", nameof(x));
        int T = x.Dim(0), B = x.Dim(1), H = _h, K = _k, rows = T * B, tapWidth = _taps * H;
        if (teacher is not null && !teacher.HasShape(T, B, K)) throw new ArgumentException($"Expected teacher [{T}, {B}, {K}], got {teacher}.", nameof(teacher));
        if (teacherKnown is not null && teacherKnown.Length != rows) throw new ArgumentException($"Expected {rows} teacher flags, got {teacherKnown.Length}.", nameof(teacherKnown));
        Allocate(T, B);
        if (lengths is null) Array.Fill(_lengths, T);
        else
        {
            if (lengths.Length != B) throw new ArgumentException($"Expected {B} lengths, got {lengths.Length}.", nameof(lengths));
            foreach (int n in lengths) if (n < 0 || n > T) throw new ArgumentException($"A length must be in 0..{T}, got {n}.", nameof(lengths));
            lengths.CopyTo(_lengths, 0);
        }
        x.Data.CopyTo(_input, 0);
        var w = WeightIh.Value.Data;   // [(a+1)·H, F]
        var v = Output.Weight.Value.Data; // [K, H]
        // Every tap of every step in one GEMM: projected [T·B, (a+1)·H] = x [T·B, F] · weight_ihᵀ.
        Gemm.Multiply(false, true, rows, tapWidth, _f, _input, w, _projected, accumulate: false);
        for (int t = 0; t < T; t++)
        {
            var pre = _hidden.AsSpan(t * B * H, B * H); // [B, H], becomes h_t in place
            for (int b = 0; b < B; b++)
            {
                var row = pre.Slice(b * H, H);
                BiasH.Value.Data.CopyTo(row);
                for (int k = 0; k < _taps && k <= t; k++) // W_k x_{t−k}: tap k of step t − k
                    TensorPrimitives.Add(row, _projected.AsSpan(((t - k) * B + b) * tapWidth + k * H, H), row);
            }
            for (int d = 1; d <= _delays && d <= t; d++) // pre [B, H] += y_{t−d} [B, K] · U_dᵀ [K, H]
                Gemm.Multiply(false, true, B, H, K, _fed.AsSpan((t - d) * B * K, B * K), WeightOh!.Value.Data.AsSpan((d - 1) * H * K, H * K), pre, accumulate: true);
            TensorPrimitives.Tanh(pre, pre);
            var o = _outputs.AsSpan(t * B * K, B * K); // [B, K] = h_t · Vᵀ + c
            Gemm.Multiply(false, true, B, K, H, pre, v, o, accumulate: false);
            MatrixRows.AddToEachRow(o, Output.Bias!.Value.Data, B);
            for (int b = 0; b < B; b++)
            {
                int i = t * B + b;
                var ob = o.Slice(b * K, K);
                var yb = _fed.AsSpan(i * K, K);
                if (t >= _lengths[b]) { ob.Clear(); yb.Clear(); _forced[i] = false; continue; }
                _forced[i] = teacher is not null && (teacherKnown is null || teacherKnown[i]);
                if (_forced[i]) teacher!.Data.AsSpan(i * K, K).CopyTo(yb);
                else Activate(ob, yb);
            }
        }
        return new Tensor(_outputs, T, B, K);
    }

    /// <summary>dOutputs [T, B, K] of the last Forward → adds every parameter's gradient, backpropagated through the fed-back outputs.</summary>
    public void Backward(ReadOnlySpan<float> dOutputs)
    {
        int T = _steps, B = _batch, H = _h, K = _k, rows = T * B, tapWidth = _taps * H;
        if (dOutputs.Length != rows * K) throw new ArgumentException($"Expected dOutputs [{T}, {B}, {K}], got {dOutputs.Length} values.", nameof(dOutputs));
        var v = Output.Weight.Value.Data; // [K, H]
        Array.Clear(_dFed);
        for (int t = T - 1; t >= 0; t--)
        {
            // do_t [B, K] = dL/do_t + act′(o_t)ᵀ · dy_t, dy_t gathered from the steps t + d that read y_t; nothing after the end.
            var dO = _dOutputs.AsSpan(t * B * K, B * K);
            for (int b = 0; b < B; b++)
            {
                int i = t * B + b;
                var dOb = dO.Slice(b * K, K);
                if (t >= _lengths[b]) { dOb.Clear(); continue; }
                dOutputs.Slice(i * K, K).CopyTo(dOb);
                if (!_forced[i]) AddActivationBackward(_fed.AsSpan(i * K, K), _dFed.AsSpan(i * K, K), dOb);
            }
            // dpre_t [B, H] = (do_t [B, K] · V [K, H]) ⊙ (1 − h_t²)
            var dPre = _dPre.AsSpan(t * B * H, B * H);
            Gemm.Multiply(false, false, B, H, K, dO, v, dPre, accumulate: false);
            TanhBackward(_hidden.AsSpan(t * B * H, B * H), dPre);
            for (int d = 1; d <= _delays && d <= t; d++) // dy_{t−d} [B, K] += dpre_t [B, H] · U_d [H, K]
                Gemm.Multiply(false, false, B, K, H, dPre, WeightOh!.Value.Data.AsSpan((d - 1) * H * K, H * K), _dFed.AsSpan((t - d) * B * K, B * K), accumulate: true);
        }
        // The weight gradients, each one GEMM over all steps after the loop.
        Gemm.Multiply(true, false, K, H, rows, _dOutputs, _hidden, Output.Weight.Grad.Data, accumulate: true); // dV [K, H] += doᵀ · h
        MatrixRows.AddColumnSums(_dOutputs, rows, Output.Bias!.Grad.Data);                                        // dc [K]
        MatrixRows.AddColumnSums(_dPre, rows, BiasH.Grad.Data);                                                      // db_h [H]
        for (int d = 1; d <= _delays && d < T; d++) // dU_d [H, K] += Σ_t dpre_tᵀ · y_{t−d}, t = d..T−1
            Gemm.Multiply(true, false, H, K, (T - d) * B, _dPre.AsSpan(d * B * H), _fed, WeightOh!.Grad.Data.AsSpan((d - 1) * H * K, H * K), accumulate: true);
        // dprojected[s, tap k] = dpre_{s+k}: the tap of step s that fed step s + k.
        for (int s = 0; s < T; s++)
            for (int b = 0; b < B; b++)
                for (int k = 0; k < _taps; k++)
                {
                    var target = _dProjected.AsSpan((s * B + b) * tapWidth + k * H, H);
                    if (s + k < T) _dPre.AsSpan(((s + k) * B + b) * H, H).CopyTo(target);
                    else target.Clear();
                }
        Gemm.Multiply(true, false, tapWidth, _f, rows, _dProjected, _input, WeightIh.Grad.Data, accumulate: true); // dW [(a+1)·H, F] += dprojectedᵀ · x
        Gemm.Multiply(false, false, rows, _f, tapWidth, _dProjected, WeightIh.Value.Data, _dInput, accumulate: false); // dx [T·B, F] = dprojected · W
    }

    // y = act(o) for one step of one row: [K] → [K].
    private void Activate(ReadOnlySpan<float> o, Span<float> y)
    {
        switch (Options.Feedback)
        {
            case OutputActivation.Sigmoid: TensorPrimitives.Sigmoid(o, y); break;
            case OutputActivation.Softmax: TensorPrimitives.SoftMax(o, y); break;
            case OutputActivation.Tanh: TensorPrimitives.Tanh(o, y); break;
            default: o.CopyTo(y); break;
        }
    }

    // do [K] += act′(o)ᵀ · dy, written with y = act(o) [K].
    private void AddActivationBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dO)
    {
        switch (Options.Feedback)
        {
            case OutputActivation.Sigmoid: for (int j = 0; j < y.Length; j++) dO[j] += dy[j] * y[j] * (1 - y[j]); break;
            case OutputActivation.Tanh: for (int j = 0; j < y.Length; j++) dO[j] += dy[j] * (1 - y[j] * y[j]); break;
            case OutputActivation.Softmax:
                float dot = TensorPrimitives.Dot(y, dy); // softmax: do_j += y_j (dy_j − Σ_i y_i dy_i)
                for (int j = 0; j < y.Length; j++) dO[j] += y[j] * (dy[j] - dot);
                break;
            default: TensorPrimitives.Add(dO, dy, dO); break;
        }
    }

    // dpre ⊙= 1 − h², h = tanh(pre).
    private static void TanhBackward(ReadOnlySpan<float> h, Span<float> dPre)
    {
        for (int j = 0; j < h.Length; j++) dPre[j] *= 1 - h[j] * h[j];
    }

    private void Allocate(int T, int B)
    {
        (_steps, _batch) = (T, B);
        int rows = T * B;
        if (_forced.Length == rows && _lengths.Length == B) return;
        _lengths = new int[B];
        _input = new float[rows * _f];
        _dInput = new float[rows * _f];
        _projected = new float[rows * _taps * _h];
        _dProjected = new float[rows * _taps * _h];
        _hidden = new float[rows * _h];
        _dPre = new float[rows * _h];
        _outputs = new float[rows * _k];
        _dOutputs = new float[rows * _k];
        _fed = new float[rows * _k];
        _dFed = new float[rows * _k];
        _forced = new bool[rows];
    }
}
