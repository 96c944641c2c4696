using System.Numerics.Tensors;
using Carousel.Kernels;
using Carousel.Tensors;

namespace Carousel.Layers.Recurrent;

/// <summary>
/// Batch-1 inference one step at a time (sampling, streaming) over a unidirectional <see cref="RecurrentStack"/>,
/// without allocation and with the stack's exact arithmetic: every step gives bit for bit what
/// <see cref="RecurrentStack.Forward"/> gives with T = 1, B = 1 (dropout is off, as in evaluation).
/// <para>
/// A step reads every weight once, so its cost is the weight bytes it streams. Per layer it computes
/// pre = x·W_ihᵀ + b_ih and rec = b_hh + h·W_hhᵀ as matrix-vector products over weights packed once per
/// weight change (the GEMM's batch-invariant order: the same bits as the general path), then the cell's
/// row kernel. With an embedding in front, the first layer's pre depends only on the token, so it is a
/// table [V, G·H] = E·W_ihᵀ + b_ih computed by the same GEMM: one weight matrix fewer per step.
/// </para>
/// <para>
/// With two parts the hidden units are split in halves, and each half takes the gate rows of its own units
/// (i, f, g, o of units [u0, u1)), so each core streams half of every matrix and runs the cell kernel on its
/// own units: the threads meet once per layer, when the next layer needs the whole h.
/// </para>
/// </summary>
public sealed class RecurrentStepper : IDisposable
{
    /// <summary>
    /// Hidden sizes from which two threads pay for their hand-offs (two per layer and step). Measured on the
    /// 2-core Zen 5: see README.md (batch-1 sampling).
    /// </summary>
    public const int MinimumHiddenForTwoThreads = 256;

    private readonly RecurrentStack _stack;
    private readonly Embedding? _embedding;
    private readonly int _tokenCount;           // V when steps take token ids (embedding or one-hot), else 0
    private readonly CellKernel _kernel;
    private readonly bool _hasCell;
    private readonly int _layers, _hidden, _gates;
    private readonly LayerWeights[] _weights;   // [layer]
    private readonly Part[][] _parts;           // [layer][part]
    private readonly PhaseTeam? _team;
    private readonly Work _work;
    private readonly float[] _input;            // [In] the vector input of the current step (no embedding)
    // States double-buffered by step parity: a step reads buffer _current and writes the other, so one
    // thread's new units never overwrite what the other thread still reads. Each [L·H].
    private readonly float[][] _h, _c;
    private int _current;
    private int _token;

    /// <summary>Whether the stepper can run this stack: unidirectional, and a cell whose row kernel it knows.</summary>
    public static bool Supports(RecurrentOptions options) =>
        !options.Bidirectional && options.Cell is CellKind.Lstm or CellKind.LstmNoForgetGate or CellKind.Gru or CellKind.RnnTanh or CellKind.RnnRelu;

    /// <summary>A stepper over <paramref name="stack"/>'s own weights, starting from the stack's initial state.</summary>
    /// <param name="stack">The stack whose weights are used (read at each step; repacked when their Version changes).</param>
    /// <param name="embedding">When given, steps take token ids and the first layer's input projection is a table lookup.</param>
    /// <param name="threads">2 splits each layer between this thread and a helper when the hidden size is large enough.</param>
    /// <param name="precision">How the streamed weights (W_hh, and W_ih where it is not folded into a table) are kept:
    /// <see cref="WeightPrecision.BFloat16"/> halves their bytes, at the cost of rounding them.</param>
    public RecurrentStepper(RecurrentStack stack, Embedding? embedding = null, int threads = 1, WeightPrecision precision = WeightPrecision.Float32)
        : this(stack, embedding, threads, MinimumHiddenForTwoThreads, precision) { }

    /// <summary>
    /// A stepper whose steps take token ids read as one-hot vectors of the stack's InputSize: the first layer's input
    /// projection is then a table [V, G·H] = W_ihᵀ + b_ih, column v of W_ih for token v.
    /// </summary>
    public static RecurrentStepper OneHot(RecurrentStack stack, int threads = 1) => new(stack, null, threads, MinimumHiddenForTwoThreads, oneHot: true);

    /// <summary>As the public constructor, with the hidden size from which layers are split (tests split small stacks).</summary>
    internal RecurrentStepper(RecurrentStack stack, Embedding? embedding, int threads, int minimumHiddenForTwoThreads,
        WeightPrecision precision = WeightPrecision.Float32, bool oneHot = false)
    {
        if (oneHot && embedding is not null) throw new ArgumentException("A stepper reads either one-hot tokens or embedded ones, not both.");
        var o = stack.Options;
        if (!Supports(o)) throw new NotSupportedException($"The batch-1 stepper does not run {(o.Bidirectional ? "bidirectional stacks" : o.Cell.ToString())}; use RecurrentStack.Forward.");
        if (embedding is not null && embedding.Dimension != o.InputSize)
            throw new ArgumentException($"Embedding dimension {embedding.Dimension} differs from the stack's input size {o.InputSize}.");
        _stack = stack;
        _embedding = embedding;
        Precision = precision;
        _tokenCount = embedding?.VocabularySize ?? (oneHot ? o.InputSize : 0);
        _kernel = CellKernel.For(o.Cell);
        _hasCell = o.Cell.HasCellState();
        _layers = o.Layers;
        _hidden = o.HiddenSize;
        _gates = o.Cell.GateCount();
        int H = _hidden;
        // Halves of whole 16-float vectors, so the cell kernel's vector code sees the same lanes as on the whole row.
        int partCount = threads >= 2 && H >= minimumHiddenForTwoThreads && H % 32 == 0 ? 2 : 1;

        var byName = new Dictionary<string, Parameter>();
        foreach (var p in stack.Parameters()) byName[p.Name] = p;
        _weights = new LayerWeights[_layers];
        _parts = new Part[_layers][];
        for (int k = 0; k < _layers; k++)
        {
            int inputSize = k == 0 ? o.InputSize : H;
            _weights[k] = new LayerWeights(byName[$"weight_ih_l{k}"], byName[$"weight_hh_l{k}"], byName[$"bias_ih_l{k}"], byName[$"bias_hh_l{k}"], inputSize);
            bool inputTable = k == 0 && _tokenCount > 0;
            _parts[k] = new Part[partCount];
            for (int part = 0; part < partCount; part++)
            {
                int first = part * H / partCount, count = (part + 1) * H / partCount - first;
                _parts[k][part] = new Part(first, count, _gates, _kernel.CacheWidth(count), inputTable ? _tokenCount : 0);
            }
        }
        _input = new float[o.InputSize];
        _h = [new float[_layers * H], new float[_layers * H]];
        _c = _hasCell ? [new float[_layers * H], new float[_layers * H]] : [[], []];
        _work = new Work(this);
        if (partCount > 1) _team = new PhaseTeam(_work, partCount);
        Refresh();
        Reset();
    }

    /// <summary>How the streamed weights are kept.</summary>
    public WeightPrecision Precision { get; }

    /// <summary>Threads a step uses: 1, or 2 when the layers are split.</summary>
    public int Threads => _parts[0].Length;

    /// <summary>The options of the stack it runs.</summary>
    public RecurrentOptions Options => _stack.Options;

    /// <summary>Layer parts run by the helper thread so far (0 with one thread): a measurement aid.</summary>
    internal long HelperParts => _team?.HelperParts ?? 0;

    /// <summary>Times a helper preempted mid-part sent this thread on alone for a while (a measurement aid).</summary>
    internal int HelperStalls => _team?.Stalls ?? 0;

    /// <summary>Tests: leave every part but one to the helper thread, so that its results are surely checked.</summary>
    internal void LeavePartsToHelper()
    {
        if (_team is not null) _team.CallerRunsOnePart = true;
    }

    /// <summary>The last layer's h [H] after the last step.</summary>
    public ReadOnlySpan<float> Output => _h[_current].AsSpan((_layers - 1) * _hidden, _hidden);

    /// <summary>Sets the state: h, c [L, 1, H]; null means the stack's initial state (zeros or learned).</summary>
    public void Reset(RecurrentState? state = null)
    {
        state ??= _stack.InitialState(1);
        int n = _layers * _hidden;
        if (state.H.Length != n || (_hasCell && state.C?.Length != n))
            throw new ArgumentException($"Expected a state [{_layers}, 1, {_hidden}], got h {state.H}, c {state.C?.ToString() ?? "none"}.");
        _current = 0;
        state.H.Data.CopyTo(_h[0], 0);
        if (_hasCell) state.C!.Data.CopyTo(_c[0], 0);
    }

    /// <summary>The current state as h, c [L, 1, H] (a new copy).</summary>
    public RecurrentState State()
    {
        var state = _stack.ZeroState(1);
        _h[_current].CopyTo(state.H.Data, 0);
        if (_hasCell) _c[_current].CopyTo(state.C!.Data, 0);
        return state;
    }

    /// <summary>One step with the embedding (or one-hot vector) of <paramref name="token"/> as input; returns the last layer's h [H].</summary>
    public ReadOnlySpan<float> Step(int token)
    {
        if (_tokenCount == 0) throw new InvalidOperationException("This stepper has no embedding: pass the input vector.");
        if ((uint)token >= (uint)_tokenCount)
            throw new ArgumentOutOfRangeException(nameof(token), $"Token id {token} outside the vocabulary of {_tokenCount}.");
        _token = token;
        return RunStep();
    }

    /// <summary>One step with input x [In]; returns the last layer's h [H].</summary>
    public ReadOnlySpan<float> Step(ReadOnlySpan<float> x)
    {
        if (_tokenCount > 0) throw new InvalidOperationException("This stepper reads token ids.");
        if (x.Length != _input.Length) throw new ArgumentException($"Expected an input of {_input.Length}, got {x.Length}.");
        x.CopyTo(_input);
        return RunStep();
    }

    private ReadOnlySpan<float> RunStep()
    {
        Refresh();
        for (int k = 0; k < _layers; k++)
        {
            if (_team is null) RunPart(k, 0);
            else _team.Run(k);
        }
        _current ^= 1;
        return Output;
    }

    /// <summary>Layer k for the units of one part: pre, rec, then the cell kernel into the next state buffers.</summary>
    private void RunPart(int k, int partIndex)
    {
        var part = _parts[k][partIndex];
        int H = _hidden, first = part.First, n = part.Count;
        var hPrev = _h[_current].AsSpan(k * H, H);
        var hNext = _h[_current ^ 1].AsSpan(k * H + first, n);
        ReadOnlySpan<float> pre;
        if (part.InputTable.Length > 0)
        {
            pre = part.InputTable.AsSpan(_token * part.GateWidth, part.GateWidth);
        }
        else
        {
            // pre [G·n] = x · W_ihᵀ + b_ih, x being the layer below's new h (or the step's input).
            ReadOnlySpan<float> x = k == 0 ? _input : _h[_current ^ 1].AsSpan((k - 1) * H, H);
            if (part.InputWeights16 is { } input16) input16.MultiplyVector(x, part.Pre, accumulate: false);
            else Gemm.Multiply(1, 1, x, x.Length, part.InputWeights!, part.Pre, part.GateWidth, accumulate: false);
            TensorPrimitives.Add(part.Pre, part.InputBias, part.Pre);
            pre = part.Pre;
        }
        // rec [G·n] = b_hh + hPrev · W_hhᵀ, added in this order as the general path does.
        part.RecurrentBias.CopyTo(part.Rec, 0);
        if (part.RecurrentWeights16 is { } recurrent16) recurrent16.MultiplyVector(hPrev, part.Rec, accumulate: true);
        else Gemm.Multiply(1, 1, hPrev, H, part.RecurrentWeights!, part.Rec, part.GateWidth, accumulate: true);
        _kernel.ForwardRow(n, pre, part.Rec, hPrev.Slice(first, n),
            _hasCell ? _c[_current].AsSpan(k * H + first, n) : default, peepholes: default, part.Cache, hNext,
            _hasCell ? _c[_current ^ 1].AsSpan(k * H + first, n) : default);
    }

    /// <summary>Repacks what was derived from weights whose Version changed since the last step.</summary>
    private void Refresh()
    {
        int embeddingVersion = _embedding?.Weight.Version ?? 0;
        for (int k = 0; k < _layers; k++)
        {
            var w = _weights[k];
            bool inputTable = k == 0 && _tokenCount > 0;
            bool inputChanged = w.WeightIh.Version != w.InputVersion || w.BiasIh.Version != w.InputBiasVersion
                || (inputTable && embeddingVersion != w.EmbeddingVersion) || !w.Packed;
            bool recurrentChanged = w.WeightHh.Version != w.RecurrentVersion || w.BiasHh.Version != w.RecurrentBiasVersion || !w.Packed;
            if (!inputChanged && !recurrentChanged) continue;
            foreach (var part in _parts[k])
            {
                if (inputChanged)
                {
                    GatherGateRows(w.WeightIh.Value.Data, w.InputSize, part, w.Scratch);
                    GatherGateRows(w.BiasIh.Value.Data, 1, part, part.InputBias);
                    var rows = w.Scratch.AsSpan(0, part.GateWidth * w.InputSize);
                    if (inputTable && _embedding is null)
                    {
                        // One-hot: table [V, G·n] = W_ih(part)ᵀ + b_ih, as the general path's column lookup and bias add.
                        int V = _tokenCount, In = w.InputSize, width = part.GateWidth;
                        for (int v = 0; v < V; v++)
                            for (int j = 0; j < width; j++) part.InputTable[v * width + j] = rows[j * In + v];
                        MatrixRows.AddToEachRow(part.InputTable, part.InputBias, V);
                    }
                    else if (inputTable)
                    {
                        // table [V, G·n] = E [V, In] · W_ih(part)ᵀ + b_ih: row v is bit for bit the product for token v.
                        int V = _embedding!.VocabularySize;
                        Gemm.Multiply(false, true, V, part.GateWidth, w.InputSize, _embedding.Weight.Value.Data, rows, part.InputTable, accumulate: false);
                        MatrixRows.AddToEachRow(part.InputTable, part.InputBias, V);
                    }
                    else if (Precision == WeightPrecision.BFloat16)
                    {
                        if (part.InputWeights16 is null) part.InputWeights16 = new Bf16Matrix(rows, part.GateWidth, w.InputSize);
                        else part.InputWeights16.Repack(rows);
                    }
                    else if (part.InputWeights is null) part.InputWeights = new PackedMatrix(rows, part.GateWidth, w.InputSize, transpose: true);
                    else part.InputWeights.Repack(rows);
                }
                if (recurrentChanged)
                {
                    GatherGateRows(w.WeightHh.Value.Data, _hidden, part, w.Scratch);
                    GatherGateRows(w.BiasHh.Value.Data, 1, part, part.RecurrentBias);
                    var rows = w.Scratch.AsSpan(0, part.GateWidth * _hidden);
                    if (Precision == WeightPrecision.BFloat16)
                    {
                        if (part.RecurrentWeights16 is null) part.RecurrentWeights16 = new Bf16Matrix(rows, part.GateWidth, _hidden);
                        else part.RecurrentWeights16.Repack(rows);
                    }
                    else if (part.RecurrentWeights is null) part.RecurrentWeights = new PackedMatrix(rows, part.GateWidth, _hidden, transpose: true);
                    else part.RecurrentWeights.Repack(rows);
                }
            }
            w.InputVersion = w.WeightIh.Version; w.InputBiasVersion = w.BiasIh.Version; w.EmbeddingVersion = embeddingVersion;
            w.RecurrentVersion = w.WeightHh.Version; w.RecurrentBiasVersion = w.BiasHh.Version;
            w.Packed = true;
        }
    }

    /// <summary>rows [G·n, width] ← the rows of matrix [G·H, width] for units [first, first + n) of each gate, gate by gate.</summary>
    private void GatherGateRows(ReadOnlySpan<float> matrix, int width, Part part, Span<float> rows)
    {
        for (int g = 0; g < _gates; g++)
            matrix.Slice((g * _hidden + part.First) * width, part.Count * width).CopyTo(rows.Slice(g * part.Count * width));
    }

    /// <summary>Stops the helper thread of a two-thread stepper (nothing to do with one thread).</summary>
    public void Dispose() => _team?.Dispose();

    /// <summary>One layer's parameters, the versions its packed parts were built from, and a gather buffer.</summary>
    private sealed class LayerWeights(Parameter weightIh, Parameter weightHh, Parameter biasIh, Parameter biasHh, int inputSize)
    {
        public Parameter WeightIh { get; } = weightIh;
        public Parameter WeightHh { get; } = weightHh;
        public Parameter BiasIh { get; } = biasIh;
        public Parameter BiasHh { get; } = biasHh;
        public int InputSize { get; } = inputSize;
        public float[] Scratch { get; } = new float[Math.Max(weightIh.Value.Length, weightHh.Value.Length)]; // gathered gate rows
        public int InputVersion, InputBiasVersion, EmbeddingVersion, RecurrentVersion, RecurrentBiasVersion;
        public bool Packed;
    }

    /// <summary>The units [First, First + Count) of one layer: their gate rows of the weights, packed, and their buffers.</summary>
    private sealed class Part(int first, int count, int gates, int cacheWidth, int tableRows)
    {
        public int First { get; } = first;
        public int Count { get; } = count;
        public int GateWidth { get; } = gates * count;
        public PackedMatrix? InputWeights;                                   // op(B) = W_ih(part)ᵀ [In, G·n]
        public PackedMatrix? RecurrentWeights;                               // op(B) = W_hh(part)ᵀ [H, G·n]
        public Bf16Matrix? InputWeights16, RecurrentWeights16;               // the same in bfloat16, when the stepper keeps them so
        public float[] InputTable { get; } = new float[tableRows * gates * count]; // [V, G·n], or empty
        public float[] InputBias { get; } = new float[gates * count];       // [G·n]
        public float[] RecurrentBias { get; } = new float[gates * count];   // [G·n]
        public float[] Pre { get; } = new float[gates * count];             // [G·n]
        public float[] Rec { get; } = new float[gates * count];             // [G·n]
        public float[] Cache { get; } = new float[cacheWidth];              // the kernel's per-row cache (unused here)
    }

    /// <summary>The phase work the team runs: phase k is layer k.</summary>
    private sealed class Work(RecurrentStepper stepper) : IPhaseWork
    {
        public void RunPart(int phase, int part) => stepper.RunPart(phase, part);
    }
}
