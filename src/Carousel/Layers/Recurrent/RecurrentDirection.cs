using System.Numerics.Tensors;
using Carousel.Kernels;
using Carousel.Tensors;

namespace Carousel.Layers.Recurrent;

/// <summary>
/// One layer of one direction of a recurrent stack: its weights, and exact forward and backward passes
/// over a whole (padded) sequence. Following cuDNN's plan, the input projection of all steps is one GEMM
/// before the time loop; inside the loop only h·W_hhᵀ and the cell's gate arithmetic remain; in backward
/// only dG·W_hh is sequential and the weight gradients are single GEMMs after the loop.
/// </summary>
internal sealed class RecurrentDirection : IStackLayer
{
    private readonly CellKernel _kernel;
    private readonly bool _reverse;
    private readonly bool _hasCell;
    private readonly int _inputSize, _hidden, _gateWidth, _cacheWidth;
    // Peephole LSTM only: its diagonal cell-to-gate weights gathered into one buffer for the kernel, and their gradients.
    private readonly float[] _peepholeValues;   // [P·H]  p_i, p_f, p_o
    private readonly float[] _peepholeGrads;    // [P·H]
    // Clockwork and timescales cells: which modules compute at each step, and W_hh ⊙ M, the weights the step products use.
    private readonly ClockworkUpdate? _clock;
    private float[] _maskedWeightHh = [];       // [H, H]

    /// <summary>weight_ih [G·H, In]: the gate blocks' input weights, in the cell's gate order.</summary>
    public Parameter WeightIh { get; }
    /// <summary>weight_hh [G·H, H]: the gate blocks' recurrent weights.</summary>
    public Parameter WeightHh { get; }
    /// <summary>bias_ih [G·H]: the input-side gate biases.</summary>
    public Parameter BiasIh { get; }
    /// <summary>bias_hh [G·H]: the recurrent-side gate biases, added to h·W_hhᵀ (inside r⊙(·) for a GRU's n gate).</summary>
    public Parameter BiasHh { get; }
    /// <summary>Peephole LSTM: weight_ci, weight_cf, weight_co, each [H]; empty for other cells.</summary>
    public Parameter[] Peepholes { get; }

    // Workspace, reallocated only when T·B changes. Rows are (t, b) pairs in time-major order.
    private int _steps, _batch;
    private float[] _pre = [];        // [T·B, G·H]   x·W_ihᵀ + b_ih in forward, the gate gradients dPre in backward
    private float[] _rec = [];        // [B, G·H]     h·W_hhᵀ + b_hh of the current step
    private float[] _hStates = [];    // [(T+1)·B, H] states in processing order (see PrevRow/NextRow)
    private float[] _cStates = [];    // [(T+1)·B, H] memory cells (LSTM only)
    private float[] _cache = [];      // [T·B, CacheWidth]
    private float[] _dRec = [];       // [T·B, G·H]   recurrent-side gate gradients (GRU only; else _pre is used)
    private float[] _dh = [], _dc = [], _dhPrev = []; // [B, H]
    private int[]? _lengths;
    // Infer's workspace: one chunk of input projections, two state buffers each for h and c, one cache row per batch row.
    private int _inferChunkSteps, _inferBatch;
    private float[] _inferPre = [];                  // [chunk·B, G·H]
    private float[] _inferRec = [];                  // [B, G·H]
    private readonly float[][] _inferH = [[], []];   // 2 × [B, H]
    private readonly float[][] _inferC = [[], []];   // 2 × [B, H] (LSTM only)
    private float[] _inferCache = [];                // [B, CacheWidth]
    // W_hh packed for the per-step GEMMs, repacked when the parameter's Version changes (once per optimizer step).
    private PackedMatrix? _recurrentTransposed; // op(B) = W_hhᵀ [H, G·H], forward:  rec = h · W_hhᵀ
    private PackedMatrix? _recurrent;           // op(B) = W_hh  [G·H, H], backward: dh += dG · W_hh
    private int _packedTransposedVersion = -1, _packedVersion = -1;
    private ReadOnlyMemory<float> _input; // [T·B, In] the input of the last forward, for dW_ih
    private int[]? _ids;                  // [T·B] the one-hot inputs' ids of the last forward, instead of _input
    private float[] _inputColumns = [];   // [In, G·H] W_ihᵀ for one-hot inputs: row v is column v of W_ih
    private float[] _dInputColumns = [];  // [In, G·H] dW_ihᵀ gathered by id in backward
    private Memory<float> _stateGradientNorms; // [T, B] ‖dL/dh_t‖ per row, written by backward when a recorder asks

    /// <summary>A direction with zeroed weights named with <paramref name="suffix"/> ("l0", "l0_reverse", ...); the stack draws them.</summary>
    public RecurrentDirection(CellKind cell, int inputSize, int hidden, bool reverse, string suffix, IReadOnlyList<int>? clockPeriods = null)
    {
        _kernel = CellKernel.For(cell);
        _clock = cell.HasClock() ? new ClockworkUpdate(cell, hidden, clockPeriods ?? ClockworkUpdate.DefaultPeriods) : null;
        _reverse = reverse;
        _hasCell = cell.HasCellState();
        _inputSize = inputSize;
        _hidden = hidden;
        _gateWidth = cell.GateCount() * hidden;
        _cacheWidth = _kernel.CacheWidth(hidden);
        WeightIh = new Parameter("weight_ih_" + suffix, new Tensor(_gateWidth, inputSize));
        WeightHh = new Parameter("weight_hh_" + suffix, new Tensor(_gateWidth, hidden));
        BiasIh = new Parameter("bias_ih_" + suffix, new Tensor(_gateWidth));
        BiasHh = new Parameter("bias_hh_" + suffix, new Tensor(_gateWidth));
        Peepholes = cell.PeepholeCount() == 0 ? []
            : [new Parameter("weight_ci_" + suffix, new Tensor(hidden)), new Parameter("weight_cf_" + suffix, new Tensor(hidden)),
               new Parameter("weight_co_" + suffix, new Tensor(hidden))];
        _peepholeValues = new float[Peepholes.Length * hidden];
        _peepholeGrads = new float[Peepholes.Length * hidden];
    }

    /// <summary>Its parameters in PyTorch's state_dict order: weight_ih, weight_hh, bias_ih, bias_hh, then any peepholes.</summary>
    public IEnumerable<Parameter> Parameters() => [WeightIh, WeightHh, BiasIh, BiasHh, .. Peepholes];

    // States are stored in processing order: the forward direction goes S[0] → S[T], the reverse one
    // S[T] → S[0], so that for either direction the T states entering each step are one contiguous block.
    private int PrevRow(int t) => _reverse ? t + 1 : t;
    private int NextRow(int t) => _reverse ? t : t + 1;
    private int InitialRow(int steps) => _reverse ? steps : 0;

    private static bool IsActive(int[]? lengths, int t, int b) => lengths is null || t < lengths[b];

    // The clock of row b at step t: steps of its sequence already read in this direction's order.
    private static int Clock(bool reverse, int[]? lengths, int steps, int t, int b) => reverse ? (lengths?[b] ?? steps) - 1 - t : t;

    /// <summary>Clockwork cells: zeroes the entries of W_hh that the structure holds at zero (after the weights are drawn).</summary>
    public void ApplyRecurrentMask()
    {
        if (_clock is null) return;
        _clock.ApplyMask(WeightHh.Value.Data);
        WeightHh.MarkChanged();
    }

    /// <summary>
    /// Runs the direction over x [T, B, In]. Writes its output h_t into columns [outOffset, outOffset+H) of
    /// y [T, B, outStride] (zero after a sequence's end) and its final states into hFinal, cFinal [B, H].
    /// Sequences shorter than T keep their state through the padding; the reverse direction thus starts
    /// each sequence from h0 at its own last step. With <paramref name="ids"/> [T·B] the input is one-hot (x is
    /// unused): row (t, b) of the input projection is column ids[t·B + b] of W_ih — or, with
    /// <paramref name="tokenEmbedding"/> (weight [V, In]), row ids[t·B + b] of the table E·W_ihᵀ: the input is then that
    /// embedding's rows, and <see cref="Backward"/> adds the gradients of W_ih and of the embedding through the table.
    /// </summary>
    public void Forward(ReadOnlyMemory<float> x, int[]? ids, int steps, int batch, int[]? lengths,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        float[] y, int outStride, int outOffset, Span<float> hFinal, Span<float> cFinal, Parameter? tokenEmbedding = null)
    {
        EnsureWorkspace(steps, batch);
        _lengths = lengths;
        _input = x;
        _ids = ids;
        _tokenEmbedding = ids is null ? null : tokenEmbedding;
        int H = _hidden, G = _gateWidth, rows = steps * batch;

        // Input projection for all steps at once: pre [T·B, G·H] = x [T·B, In] · W_ihᵀ + b_ih.
        float[]? columns = ids is null ? null : _tokenEmbedding is null ? InputColumns() : BuildTokenTable(_tokenEmbedding.Value.Data, _tokenEmbedding.Value.Dim(0));
        InputProjection(x, ids, columns, 0, rows, _pre.AsSpan(0, rows * G));

        for (int k = 0; k < Peepholes.Length; k++) Peepholes[k].Value.Data.CopyTo(_peepholeValues.AsSpan(k * H, H));
        h0.CopyTo(_hStates.AsSpan(InitialRow(steps) * batch * H, batch * H));
        if (_hasCell) c0.CopyTo(_cStates.AsSpan(InitialRow(steps) * batch * H, batch * H));

        var recurrentWeights = PackedRecurrentWeights(transposed: true);
        ForEachBatchPart(batch, (first, end, split) => ForwardSteps(first, end, split, recurrentWeights, y, outStride, outOffset));

        int finalRow = _reverse ? 0 : steps;
        _hStates.AsSpan(finalRow * batch * H, batch * H).CopyTo(hFinal);
        if (_hasCell) _cStates.AsSpan(finalRow * batch * H, batch * H).CopyTo(cFinal);
    }

    /// <summary>
    /// The forward-only pass for inference: the same outputs y and final states as <see cref="Forward"/>, bit for bit,
    /// keeping nothing for backward. The input projection is computed a chunk of steps at a time into a reused
    /// workspace, the states ping-pong between two [B, H] buffers and the gate activations live in one row of
    /// scratch per batch row, so its memory does not grow with T. <see cref="Backward"/> cannot follow it.
    /// </summary>
    public void Infer(ReadOnlyMemory<float> x, int[]? ids, int steps, int batch, int[]? lengths,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0,
        float[] y, int outStride, int outOffset, Span<float> hFinal, Span<float> cFinal, bool useTokenTable = false)
    {
        int H = _hidden, G = _gateWidth;
        int chunkSteps = Math.Clamp(InferenceChunkRows / Math.Max(batch, 1), 1, Math.Max(steps, 1));
        EnsureInferenceWorkspace(chunkSteps, batch);

        for (int k = 0; k < Peepholes.Length; k++) Peepholes[k].Value.Data.CopyTo(_peepholeValues.AsSpan(k * H, H));
        h0.CopyTo(_inferH[0]);
        if (_hasCell) c0.CopyTo(_inferC[0]);
        var recurrentWeights = PackedRecurrentWeights(transposed: true);
        // Ids: a token's pre row is a row of [V, G·H] = (one-hot columns of W_ih, or with useTokenTable the table
        // BuildTokenTable made) + b_ih, read in place by the step loop: no per-token copy and bias add before it (the
        // same single float addition per element as InputProjection, so the same bits).
        var tokenRows = ids is null ? null : BiasedTokenRows(useTokenTable ? _tokenTable : InputColumns());

        // Chunks in processing order: the reverse direction starts from the last steps.
        for (int done = 0; done < steps; done += chunkSteps)
        {
            int count = Math.Min(chunkSteps, steps - done);
            int firstStep = _reverse ? steps - done - count : done; // the chunk holds steps [firstStep, firstStep + count)
            // pre [count·B, G·H] = x [count·B, In] · W_ihᵀ + b_ih for the chunk's steps
            int rows = count * batch;
            if (tokenRows is null) InputProjection(x, null, null, firstStep * batch, rows, _inferPre.AsSpan(0, rows * G));
            int chunkStart = done;
            ForEachBatchPart(batch, (first, end, split) => InferSteps(first, end, split, chunkStart, count, firstStep, steps, lengths,
                recurrentWeights, y, outStride, outOffset, ids, tokenRows));
        }

        // After s processed steps the state is in buffer s % 2.
        _inferH[steps % 2].AsSpan(0, batch * H).CopyTo(hFinal);
        if (_hasCell) _inferC[steps % 2].AsSpan(0, batch * H).CopyTo(cFinal);
    }

    // Rows per input-projection chunk in Infer: big enough for the GEMM to run near its peak, small enough to stay in L2/L3.
    private const int InferenceChunkRows = 1024;

    // [V, G·H] = rows [V, G·H] + b_ih on each row, into a buffer kept for the next call.
    private float[] BiasedTokenRows(float[] rows)
    {
        if (_biasedTokenRows.Length != rows.Length) _biasedTokenRows = new float[rows.Length];
        rows.CopyTo(_biasedTokenRows, 0);
        MatrixRows.AddToEachRow(_biasedTokenRows, BiasIh.Value.Data, rows.Length / _gateWidth);
        return _biasedTokenRows;
    }

    private float[] _biasedTokenRows = [];

    // Infer's time loop over one chunk for batch rows [first, end). done = steps processed before the chunk. With ids,
    // a row's pre is its token's row of tokenRows; otherwise the chunk's rows of _inferPre.
    private void InferSteps(int first, int end, bool split, int done, int count, int firstStep, int steps, int[]? lengths,
        PackedMatrix recurrentWeights, float[] y, int outStride, int outOffset, int[]? ids, float[]? tokenRows)
    {
        int batch = _inferBatch, H = _hidden, G = _gateWidth, rows = end - first;
        var rec = _inferRec.AsSpan(first * G, rows * G);
        for (int s = 0; s < count; s++)
        {
            int processed = done + s;
            int t = _reverse ? steps - 1 - processed : processed;
            int local = t - firstStep; // the step's row block in the chunk's pre
            var hPrev = _inferH[processed % 2].AsSpan(first * H, rows * H);
            var hNext = _inferH[(processed + 1) % 2].AsSpan(first * H, rows * H);
            // rec [rows, G·H] = hPrev [rows, H] · W_hhᵀ + b_hh
            for (int b = 0; b < rows; b++) BiasHh.Value.Data.CopyTo(rec.Slice(b * G, G));
            StepProduct(split, rows, hPrev, H, recurrentWeights, rec, G);

            for (int i = 0; i < rows; i++)
            {
                int b = first + i;
                var hPrevRow = hPrev.Slice(i * H, H);
                var hNextRow = hNext.Slice(i * H, H);
                var cPrevRow = _hasCell ? _inferC[processed % 2].AsSpan(b * H, H) : default;
                var cNextRow = _hasCell ? _inferC[(processed + 1) % 2].AsSpan(b * H, H) : default;
                var yRow = y.AsSpan((t * batch + b) * outStride + outOffset, H);
                if (IsActive(lengths, t, b))
                {
                    var pre = tokenRows is null ? _inferPre.AsSpan((local * batch + b) * G, G) : tokenRows.AsSpan(ids![t * batch + b] * G, G);
                    _kernel.ForwardRow(H, pre, rec.Slice(i * G, G), hPrevRow, cPrevRow,
                        _peepholeValues, _inferCache.AsSpan(b * _cacheWidth, _cacheWidth), hNextRow, cNextRow);
                    _clock?.KeepInactive(Clock(_reverse, lengths, steps, t, b), hPrevRow, hNextRow);
                    hNextRow.CopyTo(yRow);
                }
                else
                {
                    hPrevRow.CopyTo(hNextRow);
                    if (_hasCell) cPrevRow.CopyTo(cNextRow);
                    yRow.Clear();
                }
            }
        }
    }

    // The time loop for batch rows [first, end): rows never interact, so parts can run on separate threads.
    private void ForwardSteps(int first, int end, bool split, PackedMatrix recurrentWeights, float[] y, int outStride, int outOffset)
    {
        for (int s = 0; s < _steps; s++)
            ForwardStep(_reverse ? _steps - 1 - s : s, first, end, split, recurrentWeights, y, outStride, outOffset);
    }

    // Step t for batch rows [first, end): rec = hPrev·W_hhᵀ + b_hh, then the cell kernel row by row; pre_t must be in _pre.
    private void ForwardStep(int t, int first, int end, bool split, PackedMatrix recurrentWeights, float[] y, int outStride, int outOffset)
    {
        int batch = _batch, H = _hidden, G = _gateWidth, count = end - first;
        var pre = _pre.AsSpan();
        var rec = _rec.AsSpan(first * G, count * G);
        var hPrev = _hStates.AsSpan((PrevRow(t) * batch + first) * H, count * H);
        var hNext = _hStates.AsSpan((NextRow(t) * batch + first) * H, count * H);
        // rec [rows, G·H] = hPrev [rows, H] · W_hhᵀ + b_hh
        for (int b = 0; b < count; b++) BiasHh.Value.Data.CopyTo(rec.Slice(b * G, G));
        StepProduct(split, count, hPrev, H, recurrentWeights, rec, G);

        for (int i = 0; i < count; i++)
        {
            int b = first + i, row = t * batch + b;
            var hPrevRow = hPrev.Slice(i * H, H);
            var hNextRow = hNext.Slice(i * H, H);
            var cPrevRow = _hasCell ? _cStates.AsSpan((PrevRow(t) * batch + b) * H, H) : default;
            var cNextRow = _hasCell ? _cStates.AsSpan((NextRow(t) * batch + b) * H, H) : default;
            var yRow = y.AsSpan(row * outStride + outOffset, H);
            if (IsActive(_lengths, t, b))
            {
                _kernel.ForwardRow(H, pre.Slice(row * G, G), rec.Slice(i * G, G), hPrevRow, cPrevRow, _peepholeValues,
                    _cache.AsSpan(row * _cacheWidth, _cacheWidth), hNextRow, cNextRow);
                _clock?.KeepInactive(Clock(_reverse, _lengths, _steps, t, b), hPrevRow, hNextRow);
                hNextRow.CopyTo(yRow);
            }
            else
            {
                // Padding: the state passes through unchanged and the output is zero.
                hPrevRow.CopyTo(hNextRow);
                if (_hasCell) cPrevRow.CopyTo(cNextRow);
                yRow.Clear();
            }
        }
    }

    /// <summary>
    /// Starts a forward driven one step at a time by <see cref="StepForward"/>, for a caller whose input at step t depends on
    /// outputs of earlier steps (input feeding). x [T, B, In] is read a row block at a time when its step runs, so the caller
    /// fills it as the steps go; it must stay unchanged until <see cref="EndStepBackward"/>. Forward directions only; the
    /// arithmetic is that of <see cref="Forward"/> and the workspace the same (nothing is allocated per step).
    /// </summary>
    public void BeginSteps(ReadOnlyMemory<float> x, int steps, int batch, int[]? lengths, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0)
    {
        if (_reverse) throw new InvalidOperationException("Only a forward direction runs step by step.");
        EnsureWorkspace(steps, batch);
        _lengths = lengths;
        _input = x;
        _ids = null;
        int H = _hidden;
        for (int k = 0; k < Peepholes.Length; k++) Peepholes[k].Value.Data.CopyTo(_peepholeValues.AsSpan(k * H, H));
        h0.CopyTo(_hStates.AsSpan(0, batch * H));
        if (_hasCell) c0.CopyTo(_cStates.AsSpan(0, batch * H));
    }

    /// <summary>
    /// Step t (0, 1, ... in order) of a forward begun by <see cref="BeginSteps"/>: pre_t [B, G·H] = x_t · W_ihᵀ + b_ih over
    /// W_ih packed once per weight change, then the recurrence; writes h_t into columns [outOffset, outOffset + H) of row
    /// block t of y [T, B, outStride].
    /// </summary>
    public void StepForward(int t, float[] y, int outStride, int outOffset)
    {
        int B = _batch, G = _gateWidth, In = _inputSize;
        var pre = _pre.AsSpan(t * B * G, B * G);
        Gemm.Multiply(B, _input.Span.Slice(t * B * In, B * In), In, PackedInputWeights(transposed: true), pre, G, accumulate: false);
        MatrixRows.AddToEachRow(pre, BiasIh.Value.Data, B);
        ForwardStep(t, 0, B, false, PackedRecurrentWeights(transposed: true), y, outStride, outOffset);
    }

    /// <summary>Starts the backward of a stepped forward: dhFinal, dcFinal [B, H] are the gradients of the final state.</summary>
    public void BeginStepBackward(ReadOnlySpan<float> dhFinal, ReadOnlySpan<float> dcFinal)
    {
        int n = _batch * _hidden;
        _stateGradientNorms = default;
        dhFinal.CopyTo(_dh.AsSpan(0, n));
        if (_hasCell) dcFinal.CopyTo(_dc.AsSpan(0, n));
    }

    /// <summary>
    /// Step t (T − 1, T − 2, ... in order) of the backward of a stepped forward: dy [T, B, outStride] holds in row block t
    /// the gradient of this step's output; adds dx_t [B, In] += dPre_t · W_ih, which the caller needs before step t − 1
    /// (it carries the gradient of the fed-back input). The weight gradients wait for <see cref="EndStepBackward"/>.
    /// </summary>
    public void StepBackward(int t, float[] dy, int outStride, int outOffset, Span<float> dx)
    {
        int B = _batch, G = _gateWidth;
        BackwardStep(t, 0, B, false, PackedRecurrentWeights(transposed: false), dy, outStride, outOffset);
        Gemm.Multiply(B, _pre.AsSpan(t * B * G, B * G), G, PackedInputWeights(transposed: false), dx, _inputSize, accumulate: true);
    }

    /// <summary>Ends the backward of a stepped forward: the initial states' gradients into dh0, dc0 [B, H], and every weight gradient as one GEMM over all T·B rows.</summary>
    public void EndStepBackward(Span<float> dh0, Span<float> dc0)
    {
        int n = _batch * _hidden;
        _dh.AsSpan(0, n).CopyTo(dh0);
        if (_hasCell) _dc.AsSpan(0, n).CopyTo(dc0);
        AddWeightGradients(default);
    }

    /// <summary>
    /// Backward of the last <see cref="Forward"/>. dy [T, B, outStride] holds the gradient of this
    /// direction's outputs in columns [outOffset, outOffset+H); dhFinal, dcFinal [B, H] of its final states.
    /// Adds the input gradient into dx [T, B, In] and the weight gradients into the parameters' Grad;
    /// writes the gradients of the initial states into dh0, dc0 [B, H]. When <paramref name="stateGradientNorms"/>
    /// [T, B] is given, writes ‖dL/dh_t‖ of every row and step into it (NaN at padded steps).
    /// </summary>
    public void Backward(float[] dy, int outStride, int outOffset,
        ReadOnlySpan<float> dhFinal, ReadOnlySpan<float> dcFinal, Span<float> dx, Span<float> dh0, Span<float> dc0,
        Memory<float> stateGradientNorms = default)
    {
        _stateGradientNorms = stateGradientNorms;
        int batch = _batch, H = _hidden;
        // dPre (written by the steps) reuses the forward's input-projection buffer: backward no longer needs the pre-activations.
        dhFinal.CopyTo(_dh.AsSpan(0, batch * H));
        if (_hasCell) dcFinal.CopyTo(_dc.AsSpan(0, batch * H));
        var recurrentWeights = PackedRecurrentWeights(transposed: false);

        ForEachBatchPart(batch, (first, end, split) => BackwardSteps(first, end, split, recurrentWeights, dy, outStride, outOffset));
        _dh.AsSpan(0, batch * H).CopyTo(dh0);
        if (_hasCell) _dc.AsSpan(0, batch * H).CopyTo(dc0);

        AddWeightGradients(dx);
    }

    // Weight gradients over all steps at once (and dx [T·B, In] += dPre · W_ih unless dx is empty: the stepped backward did it).
    private void AddWeightGradients(Span<float> dx)
    {
        int batch = _batch, H = _hidden, G = _gateWidth, rows = _steps * batch;
        var dPre = _pre.AsSpan(0, rows * G);
        var dRec = _kernel.SeparateRecurrentGradient ? _dRec.AsSpan(0, rows * G) : dPre;
        // dW_hh [G·H, H] += dRecᵀ [G·H, T·B] · hPrev [T·B, H]; the T entering states are contiguous.
        var hPrevAll = _hStates.AsSpan((_reverse ? batch : 0) * H, rows * H);
        Gemm.Multiply(true, false, G, H, rows, dRec, hPrevAll, WeightHh.Grad.Data, accumulate: true);
        _clock?.ApplyMask(WeightHh.Grad.Data); // dW_hh ⊙ M: the held-at-zero weights get no gradient
        MatrixRows.AddColumnSums(dRec, rows, BiasHh.Grad.Data);
        MatrixRows.AddColumnSums(dPre, rows, BiasIh.Grad.Data);
        if (_ids is null)
        {
            // dW_ih [G·H, In] += dPreᵀ · x;  dx [T·B, In] += dPre · W_ih
            Gemm.Multiply(true, false, G, _inputSize, rows, dPre, _input.Span, WeightIh.Grad.Data, accumulate: true);
            if (!dx.IsEmpty) Gemm.Multiply(false, false, rows, _inputSize, G, dPre, WeightIh.Value.Data, dx, accumulate: true);
        }
        else if (_tokenEmbedding is null) AddOneHotInputGradient(dPre, rows);
        else AddTokenTableGradients(dPre, rows);
        if (Peepholes.Length > 0) AddPeepholeGradients(dPre, rows);
    }

    // One-hot input: dW_ih[:, v] += Σ dPre rows whose id is v, gathered as rows of dW_ihᵀ [In, G·H] then added transposed.
    // No input gradient: ids have none.
    private void AddOneHotInputGradient(ReadOnlySpan<float> dPre, int rows)
    {
        int G = _gateWidth, V = _inputSize;
        var sums = SumRowsById(dPre, rows, V);
        var grad = WeightIh.Grad.Data;
        for (int g = 0; g < G; g++)
            for (int v = 0; v < V; v++) grad[g * V + v] += sums[v * G + g];
    }

    // Input through the token table E·W_ihᵀ: dTable [V, G·H] = Σ dPre rows per id, then by the chain rule
    // dW_ih [G·H, In] += dTableᵀ · E and dE [V, In] += dTable · W_ih — two products of V rows instead of T·B.
    private void AddTokenTableGradients(ReadOnlySpan<float> dPre, int rows)
    {
        var embedding = _tokenEmbedding!;
        int G = _gateWidth, V = embedding.Value.Dim(0);
        var dTable = SumRowsById(dPre, rows, V);
        Gemm.Multiply(true, false, G, _inputSize, V, dTable, embedding.Value.Data, WeightIh.Grad.Data, accumulate: true);
        Gemm.Multiply(false, false, V, _inputSize, G, dTable, WeightIh.Value.Data, embedding.Grad.Data, accumulate: true);
    }

    // sums [V, G·H]: row v = Σ of the dPre rows whose id is v.
    private float[] SumRowsById(ReadOnlySpan<float> dPre, int rows, int vocabulary)
    {
        int G = _gateWidth;
        if (_dInputColumns.Length != vocabulary * G) _dInputColumns = new float[vocabulary * G];
        var sums = _dInputColumns.AsSpan();
        sums.Clear();
        for (int row = 0; row < rows; row++)
        {
            var target = sums.Slice(_ids![row] * G, G);
            TensorPrimitives.Add(target, dPre.Slice(row * G, G), target);
        }
        return _dInputColumns;
    }

    /// <summary>
    /// pre [rows, G·H] = x·W_ihᵀ + b_ih for input rows [firstRow, firstRow + rows) (row = t·B + b): one GEMM over x
    /// [T·B, In], or with one-hot <paramref name="ids"/> [T·B] the columns ids[row] of W_ih (rows of <paramref name="columns"/>).
    /// </summary>
    private void InputProjection(ReadOnlyMemory<float> x, int[]? ids, float[]? columns, int firstRow, int rows, Span<float> pre)
    {
        int G = _gateWidth;
        if (ids is null)
            Gemm.Multiply(false, true, rows, G, _inputSize, x.Span.Slice(firstRow * _inputSize, rows * _inputSize), WeightIh.Value.Data, pre, accumulate: false);
        else
            // One-hot: x·W_ihᵀ is column id of W_ih, a row of W_ihᵀ [In, G·H].
            for (int row = 0; row < rows; row++) columns.AsSpan(ids[firstRow + row] * G, G).CopyTo(pre.Slice(row * G, G));
        MatrixRows.AddToEachRow(pre, BiasIh.Value.Data, rows);
    }

    /// <summary>
    /// table [V, G·H] = embedding [V, In] · W_ihᵀ, for <see cref="Infer"/> with useTokenTable (and the training forward
    /// with a token embedding): a token's input projection
    /// is then its row (plus b_ih, added as after the GEMM). Each row is bit for bit the GEMM's row for that embedded
    /// vector inside any batch (the GEMM sums every element alike whatever m is), so the lookup changes no result.
    /// </summary>
    public float[] BuildTokenTable(ReadOnlySpan<float> embedding, int vocabulary)
    {
        int G = _gateWidth;
        if (_tokenTable.Length != vocabulary * G) _tokenTable = new float[vocabulary * G];
        Gemm.Multiply(false, true, vocabulary, G, _inputSize, embedding[..(vocabulary * _inputSize)], WeightIh.Value.Data, _tokenTable, accumulate: false);
        return _tokenTable;
    }

    private float[] _tokenTable = [];
    private Parameter? _tokenEmbedding; // the embedding whose rows the last training Forward read through the table

    // W_ihᵀ [In, G·H], rebuilt at every forward: In·G·H copies, next to nothing beside the time loop (and never stale
    // when a caller changes the weights in place).
    private float[] InputColumns()
    {
        int G = _gateWidth, V = _inputSize;
        if (_inputColumns.Length != V * G) _inputColumns = new float[V * G];
        var w = WeightIh.Value.Data;
        for (int g = 0; g < G; g++)
            for (int v = 0; v < V; v++) _inputColumns[v * G + g] = w[g * V + v];
        return _inputColumns;
    }

    /// <summary>h, c [B, H] ← the state after the first <paramref name="steps"/> steps of the last forward (forward direction).</summary>
    public void CopyStateAfter(int steps, Span<float> h, Span<float> c)
    {
        int n = _batch * _hidden;
        _hStates.AsSpan(steps * n, n).CopyTo(h);
        if (_hasCell) _cStates.AsSpan(steps * n, n).CopyTo(c);
    }

    // Peephole gradients summed over all (t, b) rows; padded rows have dPre = 0 and add nothing.
    private void AddPeepholeGradients(ReadOnlySpan<float> dPre, int rows)
    {
        int H = _hidden, G = _gateWidth;
        // Like hPrevAll: the cells entering (cPrev) and leaving (c) the steps are each one contiguous [T·B, H] block.
        var cPrevAll = _cStates.AsSpan((_reverse ? _batch : 0) * H, rows * H);
        var cAll = _cStates.AsSpan((_reverse ? 0 : _batch) * H, rows * H);
        Array.Clear(_peepholeGrads);
        for (int row = 0; row < rows; row++)
            _kernel.AddPeepholeGradients(H, dPre.Slice(row * G, G), cPrevAll.Slice(row * H, H), cAll.Slice(row * H, H), _peepholeGrads);
        for (int k = 0; k < Peepholes.Length; k++)
            TensorPrimitives.Add(Peepholes[k].Grad.Data, _peepholeGrads.AsSpan(k * H, H), Peepholes[k].Grad.Data);
    }

    // The backward time loop for batch rows [first, end); dh, dc carry the gradients of the state.
    private void BackwardSteps(int first, int end, bool split, PackedMatrix recurrentWeights, float[] dy, int outStride, int outOffset)
    {
        for (int s = _steps - 1; s >= 0; s--)
            BackwardStep(_reverse ? _steps - 1 - s : s, first, end, split, recurrentWeights, dy, outStride, outOffset);
    }

    // Backward of step t for batch rows [first, end): the kernel row by row into dPre_t (in _pre), then dhPrev += dRec_t · W_hh.
    private void BackwardStep(int t, int first, int end, bool split, PackedMatrix recurrentWeights, float[] dy, int outStride, int outOffset)
    {
        int batch = _batch, H = _hidden, G = _gateWidth, count = end - first, rows = _steps * batch;
        var dPre = _pre.AsSpan(0, rows * G);
        var dRec = _kernel.SeparateRecurrentGradient ? _dRec.AsSpan(0, rows * G) : dPre;
        var dh = _dh.AsSpan(first * H, count * H);
        var dc = _dc.AsSpan(first * H, count * H);
        var dhPrev = _dhPrev.AsSpan(first * H, count * H);
        var norms = _stateGradientNorms.Span; // empty unless recording
        for (int i = 0; i < count; i++)
        {
            int b = first + i, row = t * batch + b;
            var dhRow = dh.Slice(i * H, H);
            var dhPrevRow = dhPrev.Slice(i * H, H);
            if (IsActive(_lengths, t, b))
            {
                TensorPrimitives.Add(dhRow, dy.AsSpan(row * outStride + outOffset, H), dhRow);
                // dhRow is now the total dL/dh_t: from this step's output and, through the recurrence, from all later steps.
                if (!norms.IsEmpty) norms[row] = NormInDouble(dhRow);
                _kernel.BackwardRow(H, _cache.AsSpan(row * _cacheWidth, _cacheWidth),
                    _hStates.AsSpan((PrevRow(t) * batch + b) * H, H),
                    _hasCell ? _cStates.AsSpan((PrevRow(t) * batch + b) * H, H) : default, _peepholeValues,
                    _hStates.AsSpan((NextRow(t) * batch + b) * H, H),
                    dhRow, _hasCell ? dc.Slice(i * H, H) : default,
                    dPre.Slice(row * G, G), dRec.Slice(row * G, G), dhPrevRow);
                _clock?.BackwardInactive(Clock(_reverse, _lengths, _steps, t, b), dhRow, dPre.Slice(row * G, G), dhPrevRow);
            }
            else
            {
                dPre.Slice(row * G, G).Clear();
                dRec.Slice(row * G, G).Clear();
                dhRow.CopyTo(dhPrevRow);
                if (!norms.IsEmpty) norms[row] = float.NaN;
            }
        }
        // dhPrev [rows, H] += dRec_t [rows, G·H] · W_hh [G·H, H]
        StepProduct(split, count, dRec.Slice((t * batch + first) * G, count * G), G, recurrentWeights, dhPrev, H);
        dhPrev.CopyTo(dh);
    }

    // ‖v‖ with the squares summed in double: a vanishing gradient of 1e−30 would square to 0 in float.
    private static float NormInDouble(ReadOnlySpan<float> v)
    {
        double sum = 0;
        foreach (float x in v) sum += (double)x * x;
        return (float)Math.Sqrt(sum);
    }

    /// <summary>
    /// Runs <paramref name="work"/> over batch rows [0, batch): in two halves on two threads when
    /// <see cref="Gemm.MaxThreads"/> allows and each half is big enough to pay for the hand-off, else at once.
    /// The third argument tells the work whether it runs as one of two halves.
    /// </summary>
    private static void ForEachBatchPart(int batch, Action<int, int, bool> work)
    {
        const int minimumRowsPerThread = 8;
        if (Gemm.MaxThreads < 2 || batch < 2 * minimumRowsPerThread)
        {
            work(0, batch, false);
            return;
        }
        int split = batch / 2;
        Parallel.Invoke(() => work(0, split, true), () => work(split, batch, true));
    }

    /// <summary>
    /// c [m, N] += a [m, K] · op(B) for one step. A half of a split batch runs it on its own thread: both cores are
    /// already busy, and a product split again would put three threads on two cores and wake a worker every step.
    /// </summary>
    private static void StepProduct(bool split, int m, ReadOnlySpan<float> a, int lda, PackedMatrix b, Span<float> c, int ldc) =>
        Gemm.Multiply(split ? 1 : Gemm.ThreadsFor(m, b.N, b.K), m, a, lda, b, c, ldc, accumulate: true);

    // W_ih packed for the stepped forward and backward (op(B) = W_ihᵀ [In, G·H] or W_ih [G·H, In]), repacked on a Version change.
    private PackedMatrix? _inputTransposed, _inputPacked;
    private int _inputTransposedVersion = -1, _inputPackedVersion = -1;

    private PackedMatrix PackedInputWeights(bool transposed)
    {
        ref var packed = ref transposed ? ref _inputTransposed : ref _inputPacked;
        ref int version = ref transposed ? ref _inputTransposedVersion : ref _inputPackedVersion;
        if (packed is null) packed = new PackedMatrix(WeightIh.Value.Data, _gateWidth, _inputSize, transpose: transposed);
        else if (version != WeightIh.Version) packed.Repack(WeightIh.Value.Data);
        version = WeightIh.Version;
        return packed;
    }

    private PackedMatrix PackedRecurrentWeights(bool transposed)
    {
        ref var packed = ref transposed ? ref _recurrentTransposed : ref _recurrent;
        ref int version = ref transposed ? ref _packedTransposedVersion : ref _packedVersion;
        if (packed is null) packed = new PackedMatrix(RecurrentWeightsInUse(), _gateWidth, _hidden, transpose: transposed);
        else if (version != WeightHh.Version) packed.Repack(RecurrentWeightsInUse());
        version = WeightHh.Version;
        return packed;
    }

    // W_hh, or for a clock cell W_hh ⊙ M: whatever a loaded or edited W_hh holds in the masked blocks is never read.
    private ReadOnlySpan<float> RecurrentWeightsInUse()
    {
        if (_clock is null) return WeightHh.Value.Data;
        if (_maskedWeightHh.Length != WeightHh.Value.Length) _maskedWeightHh = new float[WeightHh.Value.Length];
        WeightHh.Value.Data.CopyTo(_maskedWeightHh, 0);
        _clock.ApplyMask(_maskedWeightHh);
        return _maskedWeightHh;
    }

    private void EnsureInferenceWorkspace(int chunkSteps, int batch)
    {
        if (chunkSteps == _inferChunkSteps && batch == _inferBatch) return;
        int H = _hidden, G = _gateWidth;
        _inferPre = new float[chunkSteps * batch * G];
        _inferRec = new float[batch * G];
        for (int k = 0; k < 2; k++)
        {
            _inferH[k] = new float[batch * H];
            _inferC[k] = _hasCell ? new float[batch * H] : [];
        }
        _inferCache = new float[batch * _cacheWidth];
        _inferChunkSteps = chunkSteps;
        _inferBatch = batch;
    }

    private void EnsureWorkspace(int steps, int batch)
    {
        if (steps == _steps && batch == _batch) return;
        int rows = steps * batch, H = _hidden, G = _gateWidth;
        _pre = new float[rows * G];
        _rec = new float[batch * G];
        _hStates = new float[(steps + 1) * batch * H];
        _cStates = _hasCell ? new float[(steps + 1) * batch * H] : [];
        _cache = new float[rows * _cacheWidth];
        _dRec = _kernel.SeparateRecurrentGradient ? new float[rows * G] : [];
        _dh = new float[batch * H]; _dc = new float[batch * H]; _dhPrev = new float[batch * H];
        _steps = steps; _batch = batch;
    }
}
