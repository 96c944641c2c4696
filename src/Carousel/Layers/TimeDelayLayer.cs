using Carousel.Kernels;
using Carousel.Tensors;

namespace Carousel.Layers;

/// <summary>
/// A time-delay layer (Waibel, Hanazawa, Hinton, Shikano &amp; Lang 1989): the same weights applied to a window of
/// frames around every step — a 1-D convolution over time with dilation d, PyTorch's Conv1d(In, H, K, dilation=d,
/// padding as below) followed by ReLU. It takes a recurrent direction's place in a stack (see <see cref="IStackLayer"/>).
/// <code>
/// Forward, row (t, b) with the sequence's length n_b, taps j = 0 … K−1 at offsets o_j = (j − Before)·d:
///   u[(t,b), i·K + j] = x[t + o_j, b, i]  when 0 ≤ t + o_j &lt; n_b, else 0   (unfold: zeros beyond the sequence's own ends)
///   z = u·Wᵀ + b              [T·B, H]   one GEMM over all windows, W [H, In, K] seen as [H, In·K]
///   y = relu(z) for t &lt; n_b, 0 at padded steps
/// Backward, dy [T·B, H]:
///   dz = dy ⊙ [z &gt; 0], 0 at padded steps
///   dW += dzᵀ·u,  db += Σ_rows dz,  du = dz·W   [T·B, In·K]
///   dx[t + o_j, b, i] += du[(t,b), i·K + j]   (fold: each frame collects the gradient of every window it appeared in)
/// </code>
/// A padded batch thus gives what each sequence gives alone: no window reaches into padding or another sequence.
/// The layer has no state: its final states are zero and it ignores initial ones.
/// </summary>
internal sealed class TimeDelayLayer : IStackLayer
{
    private readonly int _inputSize, _hidden, _before, _taps, _dilation;
    private int _steps, _batch;
    private int[]? _lengths;
    private int[]? _ids;
    private float[] _oneHot = [];     // [T·B, In] the one-hot (or embedded) input when given ids
    private float[] _embedding = [];  // [V, In] the embedding of Infer's ids, from BuildTokenTable
    private Parameter? _tokenEmbedding; // the embedding [V, In] the last Forward read its ids through, for its gradient
    private float[] _unfolded = [];   // [T·B, In·K] u, the windows
    private float[] _pre = [];        // [T·B, H] z in forward, dz in backward
    private float[] _dUnfolded = [];  // [T·B, In·K] du

    /// <summary>weight [H, In, K] (PyTorch's Conv1d layout).</summary>
    public Parameter Weight { get; }
    /// <summary>bias [H].</summary>
    public Parameter Bias { get; }

    /// <summary>Layer <paramref name="layer"/> of a stack, from <paramref name="inputSize"/> to <paramref name="hidden"/> features, weights drawn as PyTorch's Conv1d.</summary>
    public TimeDelayLayer(int inputSize, int hidden, TimeDelayWindow window, int layer, Rng rng)
    {
        _inputSize = inputSize;
        _hidden = hidden;
        _before = window.Before;
        _taps = window.Taps;
        _dilation = window.Dilation(layer);
        Weight = new Parameter($"weight_l{layer}", new Tensor(hidden, inputSize, _taps));
        Bias = new Parameter($"bias_l{layer}", new Tensor(hidden));
        // Conv1d's default: U(−1/√fan_in, 1/√fan_in) with fan_in = In·K, for weight and bias.
        float bound = 1f / MathF.Sqrt((float)inputSize * _taps);
        rng.FillUniform(Weight.Value.Data, -bound, bound);
        rng.FillUniform(Bias.Value.Data, -bound, bound);
    }

    /// <inheritdoc/>
    public IEnumerable<Parameter> Parameters() => [Weight, Bias];

    private int Width => _inputSize * _taps; // In·K, the columns of u

    /// <inheritdoc/>
    public void Forward(ReadOnlyMemory<float> x, int[]? ids, int steps, int batch, int[]? lengths, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        float[] y, int outStride, int outOffset, Span<float> hFinal, Span<float> cFinal, Parameter? tokenEmbedding = null)
    {
        EnsureWorkspace(steps, batch);
        _lengths = lengths;
        _ids = ids;
        _tokenEmbedding = ids is null ? null : tokenEmbedding;
        int rows = steps * batch, H = _hidden;
        var input = ids is null ? x.Span : _tokenEmbedding is null ? OneHot(ids, rows) : Embedded(_tokenEmbedding.Value.Data, ids, rows);
        Unfold(input, steps, batch, lengths);
        // z [T·B, H] = u [T·B, In·K] · Wᵀ + b
        var z = _pre.AsSpan(0, rows * H);
        Gemm.Multiply(false, true, rows, H, Width, _unfolded.AsSpan(0, rows * Width), Weight.Value.Data, z, accumulate: false);
        MatrixRows.AddToEachRow(z, Bias.Value.Data, rows);
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
            {
                int row = t * batch + b;
                var yRow = y.AsSpan(row * outStride + outOffset, H);
                if (lengths is not null && t >= lengths[b]) { yRow.Clear(); continue; }
                var zRow = z.Slice(row * H, H);
                for (int j = 0; j < H; j++) yRow[j] = zRow[j] > 0f ? zRow[j] : 0f;
            }
        hFinal.Clear(); // no state
    }

    /// <inheritdoc/>
    public void Backward(float[] dy, int outStride, int outOffset, ReadOnlySpan<float> dhFinal, ReadOnlySpan<float> dcFinal,
        Span<float> dx, Span<float> dh0, Span<float> dc0, Memory<float> stateGradientNorms = default)
    {
        int steps = _steps, batch = _batch, rows = steps * batch, H = _hidden, W = Width;
        var dz = _pre.AsSpan(0, rows * H); // z is replaced by its gradient
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
            {
                int row = t * batch + b;
                var dzRow = dz.Slice(row * H, H);
                if (_lengths is not null && t >= _lengths[b]) { dzRow.Clear(); continue; }
                var dyRow = dy.AsSpan(row * outStride + outOffset, H);
                for (int j = 0; j < H; j++) dzRow[j] = dzRow[j] > 0f ? dyRow[j] : 0f;
            }
        dh0.Clear();
        // dW [H, In·K] += dzᵀ [H, T·B] · u [T·B, In·K];  db += column sums of dz
        Gemm.Multiply(true, false, H, W, rows, dz, _unfolded.AsSpan(0, rows * W), Weight.Grad.Data, accumulate: true);
        MatrixRows.AddColumnSums(dz, rows, Bias.Grad.Data);
        if (_ids is not null && _tokenEmbedding is null) return; // one-hot ids have no gradient
        // du [T·B, In·K] = dz · W, then folded back onto the frames
        var du = _dUnfolded.AsSpan(0, rows * W);
        Gemm.Multiply(false, false, rows, W, H, dz, Weight.Value.Data, du, accumulate: false);
        if (_ids is null)
        {
            Fold(du, dx, steps, batch, _lengths);
            return;
        }
        // Embedded ids: the frames' gradients [T·B, In] go to the rows of the embedding they were read from.
        var dFrames = new float[rows * _inputSize];
        Fold(du, dFrames, steps, batch, _lengths);
        var dE = _tokenEmbedding!.Grad.Data;
        for (int row = 0; row < rows; row++)
            System.Numerics.Tensors.TensorPrimitives.Add(dE.AsSpan(_ids[row] * _inputSize, _inputSize),
                dFrames.AsSpan(row * _inputSize, _inputSize), dE.AsSpan(_ids[row] * _inputSize, _inputSize));
    }

    /// <summary>
    /// Forward keeps little beyond its output here (the windows and pre-activations), so inference is the same pass; with
    /// <paramref name="useTokenTable"/> the ids are first replaced by their embedded rows, the rows the embedded forward reads.
    /// </summary>
    public void Infer(ReadOnlyMemory<float> x, int[]? ids, int steps, int batch, int[]? lengths, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        float[] y, int outStride, int outOffset, Span<float> hFinal, Span<float> cFinal, bool useTokenTable = false)
    {
        if (!useTokenTable || ids is null)
        {
            Forward(x, ids, steps, batch, lengths, h0, c0, y, outStride, outOffset, hFinal, cFinal);
            return;
        }
        var embedded = Embedded(_embedding, ids, steps * batch).ToArray(); // [T·B, In]
        Forward(embedded, null, steps, batch, lengths, h0, c0, y, outStride, outOffset, hFinal, cFinal);
    }

    /// <summary>Keeps a copy of the embedding [V, In]: a time-delay layer reads whole frames, so its "table" is the embedding itself.</summary>
    public float[] BuildTokenTable(ReadOnlySpan<float> embedding, int vocabulary) => _embedding = embedding[..(vocabulary * _inputSize)].ToArray();

    // The rows [T·B, In] of embedding [V, In] that ids name.
    private ReadOnlySpan<float> Embedded(ReadOnlySpan<float> embedding, int[] ids, int rows)
    {
        if (_oneHot.Length != rows * _inputSize) _oneHot = new float[rows * _inputSize];
        for (int row = 0; row < rows; row++) embedding.Slice(ids[row] * _inputSize, _inputSize).CopyTo(_oneHot.AsSpan(row * _inputSize));
        return _oneHot;
    }

    /// <inheritdoc/>
    public void CopyStateAfter(int steps, Span<float> h, Span<float> c) => h.Clear();

    // Frame τ of row b is inside its sequence.
    private static bool Inside(int[]? lengths, int steps, int tau, int b) => tau >= 0 && tau < (lengths?[b] ?? steps);

    // u [T·B, In·K] ← the windows of x [T, B, In]; rows of padded steps stay zero.
    private void Unfold(ReadOnlySpan<float> x, int steps, int batch, int[]? lengths)
    {
        int In = _inputSize, K = _taps, W = Width;
        var u = _unfolded.AsSpan(0, steps * batch * W);
        u.Clear();
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
            {
                if (!Inside(lengths, steps, t, b)) continue;
                var uRow = u.Slice((t * batch + b) * W, W);
                for (int j = 0; j < K; j++)
                {
                    int tau = t + (j - _before) * _dilation;
                    if (!Inside(lengths, steps, tau, b)) continue;
                    var frame = x.Slice((tau * batch + b) * In, In);
                    for (int i = 0; i < In; i++) uRow[i * K + j] = frame[i];
                }
            }
    }

    // dx [T, B, In] += the window gradients du [T·B, In·K], each added back to the frame it was read from.
    private void Fold(ReadOnlySpan<float> du, Span<float> dx, int steps, int batch, int[]? lengths)
    {
        int In = _inputSize, K = _taps, W = Width;
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
            {
                if (!Inside(lengths, steps, t, b)) continue;
                var duRow = du.Slice((t * batch + b) * W, W);
                for (int j = 0; j < K; j++)
                {
                    int tau = t + (j - _before) * _dilation;
                    if (!Inside(lengths, steps, tau, b)) continue;
                    var dFrame = dx.Slice((tau * batch + b) * In, In);
                    for (int i = 0; i < In; i++) dFrame[i] += duRow[i * K + j];
                }
            }
    }

    // The one-hot rows [T·B, In] of ids.
    private ReadOnlySpan<float> OneHot(int[] ids, int rows)
    {
        if (_oneHot.Length != rows * _inputSize) _oneHot = new float[rows * _inputSize];
        else Array.Clear(_oneHot);
        for (int row = 0; row < rows; row++) _oneHot[row * _inputSize + ids[row]] = 1f;
        return _oneHot;
    }

    private void EnsureWorkspace(int steps, int batch)
    {
        if (steps == _steps && batch == _batch && _pre.Length > 0) return;
        int rows = steps * batch;
        _unfolded = new float[rows * Width];
        _dUnfolded = new float[rows * Width];
        _pre = new float[rows * _hidden];
        _steps = steps; _batch = batch;
    }
}
