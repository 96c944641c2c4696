using System.Numerics.Tensors;
using Carousel.Kernels;
using Carousel.Tensors;

namespace Carousel.Layers;

/// <summary>
/// Global attention of Luong et al. (2015), "general" score, applied after the decoder RNN:
/// score(h_t, e_i) = h_tᵀ W_a e_i over the source positions i &lt; length (padding masked),
/// a_t = softmax(scores), context_t = Σ_i a_ti e_i, h̃_t = tanh(W_c [context_t; h_t]).
/// Without input feeding the attention does not feed back into the RNN, so the teacher-forced decoder runs as one
/// recurrent pass over all target steps and the attention for every step is a few batched matrix products after it
/// (<see cref="Forward"/>, <see cref="Backward"/>). With input feeding h̃_t enters the decoder's input at step t + 1, and
/// the attention runs a step at a time (<see cref="BeginSteps"/>, <see cref="StepForward"/>, <see cref="StepBackward"/>,
/// <see cref="EndStepBackward"/>) into the same caches, the products over all steps that backward can defer done once at the end.
/// Parameters (no biases, as Luong's and OpenNMT's): linear_in.weight W_a [Hd, De], linear_out.weight W_c [Hd, De + Hd].
/// </summary>
public sealed class LuongAttention : IModule
{
    // Memory (set by SetMemory): encoder outputs [S, B, De], their keys W_a·e [S, B, Hd], source lengths [B].
    private Tensor _memory = null!;
    private float[] _keys = [];
    private int[] _lengths = [];
    private int _sourceSteps, _batch;

    // Per-forward cache: query h [T, B, Hd], weights a [B, T, S], [context; h] [T, B, De + Hd], output h̃ [T, B, Hd].
    private Tensor _query = null!;
    private float[] _weights = [], _concat = [], _output = [];
    private float[] _dPre = [], _dWeights = [], _dConcat = [], _dQuery = [], _dKeys = [], _dMemory = [];
    private float[] _dScores = [];   // [B, T, S] the stepped backward's score gradients, used by EndStepBackward
    private int _targetSteps;

    /// <summary>De: the features of each memory position (an encoder output).</summary>
    public int MemorySize { get; }

    /// <summary>Hd: the features of each query (a decoder output), and of each attentional output h̃.</summary>
    public int QuerySize { get; }

    /// <summary>linear_in: W_a [Hd, De], no bias, turning each memory position into the key the queries score against.</summary>
    public Linear LinearIn { get; }

    /// <summary>linear_out: W_c [Hd, De + Hd], no bias, turning [context; h] into h̃ before the tanh.</summary>
    public Linear LinearOut { get; }

    /// <summary>
    /// Attention of queries of <paramref name="querySize"/> (Hd) features over memory of <paramref name="memorySize"/> (De)
    /// features; W_a and W_c are drawn from <paramref name="rng"/> as <see cref="Linear"/> draws, U(−1/√fan-in, 1/√fan-in).
    /// </summary>
    public LuongAttention(int memorySize, int querySize, Rng rng)
    {
        MemorySize = memorySize;
        QuerySize = querySize;
        LinearIn = new Linear(memorySize, querySize, rng, bias: false);
        LinearOut = new Linear(memorySize + querySize, querySize, rng, bias: false);
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() =>
        [.. Module.Child("linear_in", LinearIn), .. Module.Child("linear_out", LinearOut)];

    /// <summary>No effect: attention has no dropout.</summary>
    public bool Training { get; set; } = true;

    /// <inheritdoc/>
    public IReadOnlyList<Rng> DropoutRngs => [];

    /// <summary>
    /// Sets what to attend to: memory [S, B, De] (kept by reference until the next call) and each row's length.
    /// Computes the keys once, so a decoder stepping one symbol at a time does not redo them.
    /// </summary>
    public void SetMemory(Tensor memory, int[] lengths)
    {
        if (memory.Rank != 3 || memory.Dim(2) != MemorySize) throw new ArgumentException($"Expected memory [S, B, {MemorySize}], got {memory}.");
        int S = memory.Dim(0), B = memory.Dim(1);
        if (lengths.Length != B) throw new ArgumentException($"Expected {B} source lengths, got {lengths.Length}.");
        foreach (int n in lengths)
            if (n < 1 || n > S) throw new ArgumentException($"Source length {n} outside 1..{S}.");
        _memory = memory; _lengths = lengths; _sourceSteps = S; _batch = B;
        Resize(ref _keys, S * B * QuerySize);
        LinearIn.Forward(memory.Data, S * B, _keys.AsSpan(0, S * B * QuerySize)); // keys [S, B, Hd]
    }

    /// <summary>query h [T, B, Hd] → h̃ [T, B, Hd] (owned by the layer until the next Forward; query must stay unchanged until Backward).</summary>
    public Tensor Forward(Tensor query)
    {
        int T = query.Dim(0), B = _batch, S = _sourceSteps, De = MemorySize, Hd = QuerySize, C = De + Hd;
        if (query.Rank != 3 || query.Dim(1) != B || query.Dim(2) != Hd) throw new ArgumentException($"Expected query [T, {B}, {Hd}], got {query}.");
        _query = query; _targetSteps = T;
        Resize(ref _weights, B * T * S);
        Resize(ref _concat, T * B * C);
        Resize(ref _output, T * B * Hd);
        var memory = _memory.Data;
        for (int b = 0; b < B; b++)
        {
            var scores = _weights.AsSpan(b * T * S, T * S); // [T, S] for row b
            Gemm.Multiply(false, true, T, S, Hd, query.Data.AsSpan(b * Hd), B * Hd, _keys.AsSpan(b * Hd), B * Hd, scores, S, accumulate: false);
            int n = _lengths[b];
            for (int t = 0; t < T; t++)
            {
                var row = scores.Slice(t * S, S);
                // shifted by the maximum: TensorPrimitives.SoftMax does not, and sharp attention overflows exp
                TensorPrimitives.Subtract(row[..n], TensorPrimitives.Max(row[..n]), row[..n]);
                TensorPrimitives.SoftMax(row[..n], row[..n]);
                row[n..].Clear(); // padding gets no weight
            }
            // context_b [T, De] = a_b [T, S] · e_b [S, De], written into the first De columns of [context; h]
            Gemm.Multiply(false, false, T, De, S, scores, S, memory.AsSpan(b * De), B * De, _concat.AsSpan(b * C), B * C, accumulate: false);
        }
        for (int r = 0; r < T * B; r++) query.Data.AsSpan(r * Hd, Hd).CopyTo(_concat.AsSpan(r * C + De, Hd));
        var output = _output.AsSpan(0, T * B * Hd);
        LinearOut.Forward(_concat.AsMemory(0, T * B * C), T * B, output);
        TensorPrimitives.Tanh(output, output);
        return new Tensor(_output, T, B, Hd);
    }

    /// <summary>
    /// dh̃ [T, B, Hd] → (dQuery [T, B, Hd], dMemory [S, B, De]), both owned by the layer until the next Backward;
    /// adds the gradients of W_a and W_c.
    /// </summary>
    public (Tensor DQuery, Tensor DMemory) Backward(Tensor dOutput)
    {
        int T = _targetSteps, B = _batch, S = _sourceSteps, De = MemorySize, Hd = QuerySize, C = De + Hd;
        if (!dOutput.HasShape(T, B, Hd)) throw new ArgumentException($"Expected output gradient [{T}, {B}, {Hd}], got {dOutput}.");
        Resize(ref _dPre, T * B * Hd);
        Resize(ref _dConcat, T * B * C);
        Resize(ref _dWeights, T * S);
        Resize(ref _dQuery, T * B * Hd);
        Resize(ref _dKeys, S * B * Hd);
        Resize(ref _dMemory, S * B * De);

        // through tanh: dPre [T, B, Hd] = dh̃ ⊙ (1 − h̃²)
        for (int i = 0; i < _dPre.Length; i++) _dPre[i] = dOutput.Data[i] * (1f - _output[i] * _output[i]);
        LinearOut.Backward(_dPre, _dConcat.AsSpan(0, T * B * C)); // d[context; h] [T, B, De + Hd]

        var dQuery = _dQuery.AsSpan(0, T * B * Hd);
        for (int r = 0; r < T * B; r++) _dConcat.AsSpan(r * C + De, Hd).CopyTo(dQuery.Slice(r * Hd, Hd));
        var memory = _memory.Data;
        for (int b = 0; b < B; b++)
        {
            var weights = _weights.AsSpan(b * T * S, T * S);  // a_b [T, S]
            var dWeights = _dWeights.AsSpan(0, T * S);        // da_b [T, S]
            var dContext = _dConcat.AsSpan(b * C);            // rows t of dcontext_b, stride B·C
            // da_b = dcontext_b [T, De] · e_bᵀ; de_b = a_bᵀ · dcontext_b
            Gemm.Multiply(false, true, T, S, De, dContext, B * C, memory.AsSpan(b * De), B * De, dWeights, S, accumulate: false);
            Gemm.Multiply(true, false, S, De, T, weights, S, dContext, B * C, _dMemory.AsSpan(b * De), B * De, accumulate: false);
            // softmax backward: dscore = a ⊙ (da − Σ_i a_i da_i); masked positions have a = 0
            for (int t = 0; t < T; t++)
            {
                var a = weights.Slice(t * S, S);
                var da = dWeights.Slice(t * S, S);
                float dot = TensorPrimitives.Dot(a, da);
                for (int i = 0; i < S; i++) da[i] = a[i] * (da[i] - dot);
            }
            // dh_b += dscore_b [T, S] · k_b [S, Hd]; dk_b = dscore_bᵀ · h_b
            Gemm.Multiply(false, false, T, Hd, S, dWeights, S, _keys.AsSpan(b * Hd), B * Hd, dQuery[(b * Hd)..], B * Hd, accumulate: true);
            Gemm.Multiply(true, false, S, Hd, T, dWeights, S, _query.Data.AsSpan(b * Hd), B * Hd, _dKeys.AsSpan(b * Hd), B * Hd, accumulate: false);
        }
        LinearIn.Backward(_dKeys.AsSpan(0, S * B * Hd), _dMemory.AsSpan(0, S * B * De), accumulateInputGradient: true);
        return (new Tensor(_dQuery, T, B, Hd), new Tensor(_dMemory, S, B, De));
    }

    /// <summary>
    /// Starts a forward driven one step at a time: <paramref name="query"/> [T, B, Hd] is the decoder's output buffer, whose
    /// row block t must hold h_t when <see cref="StepForward"/>(t) runs and must stay unchanged until <see cref="EndStepBackward"/>.
    /// Returns h̃ [T, B, Hd] (owned by the layer), whose row block t is written by step t.
    /// </summary>
    public Tensor BeginSteps(Tensor query)
    {
        int T = query.Dim(0), B = _batch, S = _sourceSteps, Hd = QuerySize, C = MemorySize + Hd;
        if (query.Rank != 3 || query.Dim(1) != B || query.Dim(2) != Hd) throw new ArgumentException($"Expected query [T, {B}, {Hd}], got {query}.");
        _query = query; _targetSteps = T;
        Resize(ref _weights, B * T * S);
        Resize(ref _concat, T * B * C);
        Resize(ref _output, T * B * Hd);
        return new Tensor(_output, T, B, Hd);
    }

    /// <summary>Step t of a stepped forward: h̃_t [B, Hd] from h_t, the same arithmetic as <see cref="Forward"/> with T = 1.</summary>
    public void StepForward(int t)
    {
        int T = _targetSteps, B = _batch, S = _sourceSteps, De = MemorySize, Hd = QuerySize, C = De + Hd;
        var query = _query.Data.AsSpan(t * B * Hd, B * Hd);
        var concat = _concat.AsSpan(t * B * C, B * C);
        var memory = _memory.Data;
        // One query per row: dot products and weighted sums over the row's own source positions (a GEMM of one row would
        // pack its operand at every call, and padded positions need no work).
        for (int b = 0; b < B; b++)
        {
            var row = _weights.AsSpan((b * T + t) * S, S); // scores of (b, t) [S]
            var q = query.Slice(b * Hd, Hd);
            int n = _lengths[b];
            for (int i = 0; i < n; i++) row[i] = TensorPrimitives.Dot(q, _keys.AsSpan((i * B + b) * Hd, Hd));
            TensorPrimitives.Subtract(row[..n], TensorPrimitives.Max(row[..n]), row[..n]);
            TensorPrimitives.SoftMax(row[..n], row[..n]);
            row[n..].Clear();
            // context [De] = Σ_i a_i e_{i,b}
            var context = concat.Slice(b * C, De);
            context.Clear();
            for (int i = 0; i < n; i++) TensorPrimitives.MultiplyAdd(memory.AsSpan((i * B + b) * De, De), row[i], context, context);
            q.CopyTo(concat.Slice(b * C + De, Hd));
        }
        // h̃_t [B, Hd] = tanh([context; h] [B, C] · W_cᵀ)
        var output = _output.AsSpan(t * B * Hd, B * Hd);
        Gemm.Multiply(B, concat, C, PackedOutputWeights(transposed: true), output, Hd, accumulate: false);
        TensorPrimitives.Tanh(output, output);
    }

    /// <summary>
    /// Step t (T − 1, T − 2, ... in order) of the backward of a stepped forward: from dh̃_t [B, Hd] returns dh_t [B, Hd] (a
    /// slice of a buffer [T, B, Hd] owned by the layer, <see cref="StepQueryGradients"/>); the weight and memory gradients wait
    /// for <see cref="EndStepBackward"/>.
    /// </summary>
    public Span<float> StepBackward(int t, ReadOnlySpan<float> dOutput)
    {
        int T = _targetSteps, B = _batch, S = _sourceSteps, De = MemorySize, Hd = QuerySize, C = De + Hd;
        if (t == T - 1)
        {
            Resize(ref _dPre, T * B * Hd);
            Resize(ref _dConcat, T * B * C);
            Resize(ref _dQuery, T * B * Hd);
            Resize(ref _dScores, B * T * S);
        }
        // dPre_t = dh̃_t ⊙ (1 − h̃_t²); d[context; h]_t [B, C] = dPre_t · W_c
        var dPre = _dPre.AsSpan(t * B * Hd, B * Hd);
        var output = _output.AsSpan(t * B * Hd, B * Hd);
        for (int i = 0; i < dPre.Length; i++) dPre[i] = dOutput[i] * (1f - output[i] * output[i]);
        var dConcat = _dConcat.AsSpan(t * B * C, B * C);
        Gemm.Multiply(B, dPre, Hd, PackedOutputWeights(transposed: false), dConcat, C, accumulate: false);
        var dQuery = _dQuery.AsSpan(t * B * Hd, B * Hd);
        var memory = _memory.Data;
        for (int b = 0; b < B; b++)
        {
            var dq = dQuery.Slice(b * Hd, Hd);
            dConcat.Slice(b * C + De, Hd).CopyTo(dq);
            var dContext = dConcat.Slice(b * C, De);
            var a = _weights.AsSpan((b * T + t) * S, S);
            var da = _dScores.AsSpan((b * T + t) * S, S);
            int n = _lengths[b];
            // da_i = e_{i,b} · dcontext; dscore = a ⊙ (da − a·da) (zero at padding, where a = 0); dh += Σ_i dscore_i k_{i,b}
            for (int i = 0; i < n; i++) da[i] = TensorPrimitives.Dot(memory.AsSpan((i * B + b) * De, De), dContext);
            da[n..].Clear();
            float dot = TensorPrimitives.Dot(a[..n], da[..n]);
            for (int i = 0; i < n; i++) da[i] = a[i] * (da[i] - dot);
            for (int i = 0; i < n; i++) TensorPrimitives.MultiplyAdd(_keys.AsSpan((i * B + b) * Hd, Hd), da[i], dq, dq);
        }
        return dQuery;
    }

    /// <summary>The query gradients [T, B, Hd] the stepped backward has written (row block t by step t).</summary>
    public Tensor StepQueryGradients => new(_dQuery, _targetSteps, _batch, QuerySize);

    /// <summary>Ends a stepped backward: adds the gradients of W_c and W_a and returns dMemory [S, B, De] (owned by the layer).</summary>
    public Tensor EndStepBackward()
    {
        int T = _targetSteps, B = _batch, S = _sourceSteps, De = MemorySize, Hd = QuerySize, C = De + Hd;
        Resize(ref _dKeys, S * B * Hd);
        Resize(ref _dMemory, S * B * De);
        // dW_c [Hd, C] += dPreᵀ [Hd, T·B] · [context; h] [T·B, C]
        Gemm.Multiply(true, false, Hd, C, T * B, _dPre, _concat, LinearOut.Weight.Grad.Data, accumulate: true);
        var memory = _memory.Data;
        for (int b = 0; b < B; b++)
        {
            var weights = _weights.AsSpan(b * T * S, T * S);
            var dScores = _dScores.AsSpan(b * T * S, T * S);
            // de_b = a_bᵀ [S, T] · dcontext_b [T, De]; dk_b = dscore_bᵀ · h_b
            Gemm.Multiply(true, false, S, De, T, weights, S, _dConcat.AsSpan(b * C), B * C, _dMemory.AsSpan(b * De), B * De, accumulate: false);
            Gemm.Multiply(true, false, S, Hd, T, dScores, S, _query.Data.AsSpan(b * Hd), B * Hd, _dKeys.AsSpan(b * Hd), B * Hd, accumulate: false);
        }
        LinearIn.Backward(_dKeys.AsSpan(0, S * B * Hd), _dMemory.AsSpan(0, S * B * De), accumulateInputGradient: true);
        return new Tensor(_dMemory, S, B, De);
    }

    // W_c packed for the stepped passes (op(B) = W_cᵀ [De + Hd, Hd] forward, W_c [Hd, De + Hd] backward), repacked on a Version change.
    private PackedMatrix? _outputTransposed, _outputPacked;
    private int _outputTransposedVersion = -1, _outputPackedVersion = -1;

    private PackedMatrix PackedOutputWeights(bool transposed)
    {
        ref var packed = ref transposed ? ref _outputTransposed : ref _outputPacked;
        ref int version = ref transposed ? ref _outputTransposedVersion : ref _outputPackedVersion;
        var weight = LinearOut.Weight;
        if (packed is null) packed = new PackedMatrix(weight.Value.Data, QuerySize, MemorySize + QuerySize, transpose: transposed);
        else if (version != weight.Version) packed.Repack(weight.Value.Data);
        version = weight.Version;
        return packed;
    }

    private static void Resize(ref float[] buffer, int length)
    {
        if (buffer.Length != length) buffer = new float[length];
    }
}
