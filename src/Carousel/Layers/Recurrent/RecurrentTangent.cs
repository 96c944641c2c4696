using Carousel.Kernels;

namespace Carousel.Layers.Recurrent;

/// <summary>
/// The R-operator (Pearlmutter 1994) of a one-layer, one-direction recurrent stack: the forward pass and, beside it, its
/// directional derivative Rh_t = (∂h_t/∂θ)·v along a direction v of the stack's parameters (forward-mode, one pass). With
/// the stack's own <see cref="RecurrentStack.Backward"/> it gives Gauss-Newton products Jᵀ·H·J·v for Hessian-free
/// training (Martens 2010). Covers the tanh RNN and the LSTM (PyTorch's, gates i, f, g, o), from a zero initial state;
/// padded steps carry the state and its derivative unchanged, as the stack does.
/// </summary>
public sealed class RecurrentTangent
{
    private readonly RecurrentStack _stack;
    private readonly int _hidden, _gates, _inputs;
    private float[] _pre = [], _rPre = [];      // [T·B, G·H] input projections x·W_ihᵀ + biases and their derivative
    private float[] _rec = [], _rRec = [];      // [B, G·H] h_{t−1}·W_hhᵀ and Rh_{t−1}·W_hhᵀ + h_{t−1}·V_hhᵀ
    private float[] _c = [], _rc = [];          // [2, B, H] LSTM cell state and its derivative: previous and current step
    private float[] _zeros = [];                // [B, H] the initial state (and its derivative)

    /// <summary>Why <paramref name="options"/> describe a stack this operator cannot differentiate, or null when it can.</summary>
    public static string? Unsupported(RecurrentOptions options) =>
        options.Cell is not (CellKind.RnnTanh or CellKind.Lstm) ? $"the R-operator covers the tanh RNN and the LSTM, not {options.Cell.ToCliName()}"
        : options.Layers != 1 || options.Bidirectional ? "the R-operator covers one layer in one direction"
        : options.InitialState != InitialStateMode.Zero ? "the R-operator starts from a zero initial state, not a learned one"
        : null;

    /// <summary>The operator of <paramref name="stack"/> (refused, saying why, when <see cref="Unsupported"/>).</summary>
    public RecurrentTangent(RecurrentStack stack)
    {
        if (Unsupported(stack.Options) is { } reason) throw new ArgumentException($"Cannot differentiate this stack: {reason}.");
        _stack = stack;
        _hidden = stack.Options.HiddenSize;
        _gates = stack.Options.Cell.GateCount();
        _inputs = stack.Options.InputSize;
        ParameterCount = stack.Parameters().Sum(p => p.Value.Length);
    }

    /// <summary>The length of a direction v: the stack's parameters concatenated in <see cref="RecurrentStack.Parameters"/> order.</summary>
    public int ParameterCount { get; }

    /// <summary>[T, B, H] the hidden states of the last <see cref="Forward"/>.</summary>
    public float[] Hidden { get; private set; } = [];

    /// <summary>[T, B, H] their directional derivatives Rh_t along the last direction.</summary>
    public float[] HiddenTangent { get; private set; } = [];

    /// <summary>
    /// Runs x [T, B, In] through the stack (its current weights) and, along <paramref name="direction"/> (weight_ih, weight_hh,
    /// bias_ih, bias_hh concatenated), the derivative of every hidden state: <see cref="Hidden"/>, <see cref="HiddenTangent"/>.
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, int steps, int batch, int[]? lengths, ReadOnlySpan<float> direction)
    {
        int H = _hidden, G = _gates * H, In = _inputs, rows = steps * batch;
        if (x.Length != rows * In) throw new ArgumentException($"Expected x [{steps}, {batch}, {In}], got {x.Length} values.");
        if (direction.Length != ParameterCount) throw new ArgumentException($"Expected a direction of {ParameterCount} values, got {direction.Length}.");
        var p = _stack.Parameters();
        ReadOnlySpan<float> wIh = p[0].Value.Data, wHh = p[1].Value.Data, bIh = p[2].Value.Data, bHh = p[3].Value.Data;
        var vIh = direction[..(G * In)];
        var vHh = direction.Slice(G * In, G * H);
        var vbIh = direction.Slice(G * In + G * H, G);
        var vbHh = direction.Slice(G * In + G * H + G, G);

        if (Hidden.Length != rows * H) { Hidden = new float[rows * H]; HiddenTangent = new float[rows * H]; }
        if (_pre.Length != rows * G) { _pre = new float[rows * G]; _rPre = new float[rows * G]; }
        if (_rec.Length != batch * G) { _rec = new float[batch * G]; _rRec = new float[batch * G]; }
        if (_zeros.Length != batch * H) { _zeros = new float[batch * H]; _c = new float[2 * batch * H]; _rc = new float[2 * batch * H]; }
        Array.Clear(_c); Array.Clear(_rc);

        // All steps' input projections at once: pre = x·W_ihᵀ + b_ih + b_hh, R(pre) = x·V_ihᵀ + Rb_ih + Rb_hh.  [T·B, G·H]
        Gemm.Multiply(false, true, rows, G, In, x, wIh, _pre, accumulate: false);
        Gemm.Multiply(false, true, rows, G, In, x, vIh, _rPre, accumulate: false);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < G; j++)
            {
                _pre[r * G + j] += bIh[j] + bHh[j];
                _rPre[r * G + j] += vbIh[j] + vbHh[j];
            }

        for (int t = 0; t < steps; t++)
        {
            ReadOnlySpan<float> hPrev = t == 0 ? _zeros : Hidden.AsSpan((t - 1) * batch * H, batch * H);
            ReadOnlySpan<float> rhPrev = t == 0 ? _zeros : HiddenTangent.AsSpan((t - 1) * batch * H, batch * H);
            var h = Hidden.AsSpan(t * batch * H, batch * H);
            var rh = HiddenTangent.AsSpan(t * batch * H, batch * H);
            // rec = h_{t−1}·W_hhᵀ; R(rec) = Rh_{t−1}·W_hhᵀ + h_{t−1}·V_hhᵀ.  [B, G·H]
            Gemm.Multiply(false, true, batch, G, H, hPrev, wHh, _rec, accumulate: false);
            Gemm.Multiply(false, true, batch, G, H, rhPrev, wHh, _rRec, accumulate: false);
            Gemm.Multiply(false, true, batch, G, H, hPrev, vHh, _rRec, accumulate: true);
            int now = t % 2, before = 1 - now; // which half of _c holds this step's cell state
            for (int b = 0; b < batch; b++)
            {
                var hRow = h.Slice(b * H, H);
                var rhRow = rh.Slice(b * H, H);
                var cNow = _c.AsSpan((now * batch + b) * H, H);
                var rcNow = _rc.AsSpan((now * batch + b) * H, H);
                var cBefore = _c.AsSpan((before * batch + b) * H, H);
                var rcBefore = _rc.AsSpan((before * batch + b) * H, H);
                if (lengths is not null && t >= lengths[b])
                {
                    // Padding: the state and its derivative pass through unchanged.
                    hPrev.Slice(b * H, H).CopyTo(hRow);
                    rhPrev.Slice(b * H, H).CopyTo(rhRow);
                    cBefore.CopyTo(cNow);
                    rcBefore.CopyTo(rcNow);
                    continue;
                }
                int at = (t * batch + b) * G;
                var z = _pre.AsSpan(at, G);
                var rz = _rPre.AsSpan(at, G);
                var rec = _rec.AsSpan(b * G, G);
                var rRec = _rRec.AsSpan(b * G, G);
                if (_gates == 1)
                {
                    // h = tanh(z), Rh = (1 − h²)·Rz.
                    for (int j = 0; j < H; j++)
                    {
                        float hj = MathF.Tanh(z[j] + rec[j]);
                        hRow[j] = hj;
                        rhRow[j] = (1 - hj * hj) * (rz[j] + rRec[j]);
                    }
                    continue;
                }
                // LSTM: i, f, o = σ, g = tanh; c = f·c₋ + i·g, h = o·tanh(c); R of each by the chain rule.
                for (int j = 0; j < H; j++)
                {
                    float i = Sigmoid(z[j] + rec[j]), f = Sigmoid(z[H + j] + rec[H + j]);
                    float g = MathF.Tanh(z[2 * H + j] + rec[2 * H + j]), o = Sigmoid(z[3 * H + j] + rec[3 * H + j]);
                    float ri = i * (1 - i) * (rz[j] + rRec[j]), rf = f * (1 - f) * (rz[H + j] + rRec[H + j]);
                    float rg = (1 - g * g) * (rz[2 * H + j] + rRec[2 * H + j]), ro = o * (1 - o) * (rz[3 * H + j] + rRec[3 * H + j]);
                    float c = f * cBefore[j] + i * g;
                    float rc = rf * cBefore[j] + f * rcBefore[j] + ri * g + i * rg;
                    float tc = MathF.Tanh(c);
                    cNow[j] = c;
                    rcNow[j] = rc;
                    hRow[j] = o * tc;
                    rhRow[j] = ro * tc + o * (1 - tc * tc) * rc;
                }
            }
        }
    }

    private static float Sigmoid(float z) => 1f / (1f + MathF.Exp(-z));
}
