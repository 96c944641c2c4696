using Carousel.Tensors;

namespace Carousel.Layers.Recurrent;

/// <summary>How the state that starts a sequence is chosen when the caller gives none.</summary>
public enum InitialStateMode
{
    /// <summary>Zeros, as PyTorch does.</summary>
    Zero,
    /// <summary>A trainable vector per layer and direction (initial_h_l{k}, initial_c_l{k}), shared by the batch.</summary>
    Learned,
}

/// <summary>Configuration of a recurrent stack, with PyTorch's meaning for each field.</summary>
/// <param name="Cell">The cell of every layer and direction (LSTM, GRU, Elman RNN, ...).</param>
/// <param name="InputSize">In: the features of each step of the input x [T, B, In].</param>
/// <param name="HiddenSize">H: the units of each layer and direction (the length of h, and of c for LSTMs).</param>
/// <param name="Layers">L: stacked layers; layer k &gt; 0 reads the output [T, B, D·H] of layer k − 1.</param>
/// <param name="Bidirectional">Whether every layer also reads the sequence backwards, so D = 2 and outputs are [fwd, bwd].</param>
/// <param name="Dropout">The chance, in [0, 1), that each output of a layer below the last is zeroed while training.</param>
/// <param name="InitialState">What starts a sequence when the caller gives no state: zeros, or learned vectors.</param>
/// <param name="Init">How the weights are drawn: PyTorch's uniform (the default), Xavier, or orthogonal recurrent weights.</param>
/// <param name="ClockPeriods">Clockwork and timescales cells: the period of each of the M equal modules, ascending
/// (H divisible by M); null for <see cref="ClockworkUpdate.DefaultPeriods"/>. Other cells: null.</param>
/// <param name="TimeDelay">Time-delay layers: the window of frames each output sees; null for <see cref="TimeDelayWindow"/>'s
/// defaults. Other cells: null.</param>
public sealed record RecurrentOptions(
    CellKind Cell,
    int InputSize,
    int HiddenSize,
    int Layers = 1,
    bool Bidirectional = false,
    float Dropout = 0f,
    InitialStateMode InitialState = InitialStateMode.Zero,
    RecurrentInit Init = RecurrentInit.PyTorch,
    IReadOnlyList<int>? ClockPeriods = null,
    TimeDelayWindow? TimeDelay = null)
{
    /// <summary>D: 2 when bidirectional, else 1.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>D·H: the features of each step of the stack's output.</summary>
    public int OutputSize => Directions * HiddenSize;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first field out of range (a size ≤ 0, dropout outside [0, 1)).</summary>
    public void Validate()
    {
        if (InputSize <= 0) throw new ArgumentException($"Input size must be positive, got {InputSize}.");
        SettingException.Require(HiddenSize > 0, "HiddenSize", $"HiddenSize must be positive, got {HiddenSize}.");
        // The largest weight matrix is [4·H, max(In, H)] (four gates): it must fit in an array, and 4·H in an int.
        SettingException.Require(4.0 * HiddenSize * Math.Max(InputSize, HiddenSize) <= Array.MaxLength, "HiddenSize",
            $"HiddenSize {HiddenSize} is too large for one layer (with {InputSize} inputs): a weight matrix of 4·{HiddenSize} rows would not fit in an array.");
        SettingException.Require(Layers > 0, "Layers", $"Layers must be positive, got {Layers}.");
        SettingException.Require((long)Layers * Directions <= Array.MaxLength, "Layers", $"Layers {Layers} is more than an array of layers can hold.");
        SettingException.Require(Dropout >= 0f && Dropout < 1f, "Dropout", $"Dropout must be in [0, 1), got {Dropout}.");
        SettingException.Require(ClockPeriods is null || Cell.HasClock(), "ClockPeriods",
            $"ClockPeriods are for the clockwork and timescales cells, not {Cell.ToCliName()}.");
        if (Cell.HasClock()) ClockworkUpdate.Validate(Periods, HiddenSize);
        SettingException.Require(TimeDelay is null || Cell == CellKind.TimeDelay, "TimeDelay",
            $"TimeDelay (the window of a time-delay layer) is for the tdnn cell, not {Cell.ToCliName()}.");
        if (Cell == CellKind.TimeDelay)
        {
            Window.Validate(Layers);
            SettingException.Require(!Bidirectional, "Bidirectional",
                "A time-delay layer is not bidirectional: it sees later frames through the window's frames after (TimeDelay.After).");
            SettingException.Require(InitialState == InitialStateMode.Zero, "InitialState", "A time-delay layer has no state to learn an initial value for.");
            SettingException.Require(Init == RecurrentInit.PyTorch, "Init", "A time-delay layer draws its weights as PyTorch's Conv1d; Init must be the default.");
        }
    }

    /// <summary>The clock periods of a clockwork or timescales cell: <see cref="ClockPeriods"/> or the default.</summary>
    public IReadOnlyList<int> Periods => ClockPeriods ?? ClockworkUpdate.DefaultPeriods;

    /// <summary>The window of a time-delay layer: <see cref="TimeDelay"/> or the default.</summary>
    public TimeDelayWindow Window => TimeDelay ?? new TimeDelayWindow();

    /// <summary>The number of weights of the stack: per layer and direction W_ih [G·H, In_k], W_hh [G·H, H], both biases, peepholes, learned initial states.</summary>
    public double ParameterCount()
    {
        double G = Cell.GateCount(), H = HiddenSize, total = 0;
        for (int k = 0; k < Layers; k++)
        {
            double input = k == 0 ? InputSize : OutputSize;
            if (Cell == CellKind.TimeDelay) { total += H * (input * Window.Taps + 1); continue; } // weight [H, In, K], bias [H]
            total += Directions * (G * H * (input + H) + 2 * G * H + Cell.PeepholeCount() * H);
        }
        if (InitialState == InitialStateMode.Learned) total += Layers * Directions * H * (Cell.HasCellState() ? 2 : 1);
        return total;
    }

    /// <summary>
    /// <see cref="ParameterCount"/> less the weights held at zero by the cell's structure: the blocks of a clockwork
    /// cell's W_hh where a module would read a faster one. The count to compare models of equal size by.
    /// </summary>
    public double FreeParameterCount() =>
        ParameterCount() - (Cell == CellKind.Clockwork ? (double)Layers * Directions * ClockworkUpdate.MaskedCount(HiddenSize, Periods.Count) : 0);

    /// <summary>The floats of the copies of W_hh [G·H, H] each layer and direction packs for the matrix kernels, one for forward and one for backward.</summary>
    public double PackedWeightFloats() => Cell == CellKind.TimeDelay ? 0 : 2.0 * Layers * Directions * Cell.GateCount() * HiddenSize * (double)HiddenSize;

    /// <summary>
    /// The floats one forward and backward over [<paramref name="steps"/>, <paramref name="batch"/>] allocates besides the
    /// weights and their packed copies: per layer and direction the gate pre-activations and gradients, the states and the
    /// cell's cache kept for backward; per layer its output, its input gradient and dropout's masks (the buffers of
    /// <see cref="RecurrentStack"/> and its directions, counted as they allocate them).
    /// </summary>
    public double WorkspaceFloats(long steps, long batch)
    {
        double rows = (double)steps * batch, G = Cell.GateCount() * (double)HiddenSize, H = HiddenSize;
        if (Cell == CellKind.TimeDelay) return TimeDelayWorkspaceFloats(rows);
        var kernel = CellKernel.For(Cell);
        double perDirection = rows * G                                   // pre-activations, then gate gradients
                              + (steps + 1.0) * batch * H * (Cell.HasCellState() ? 2 : 1) // h (and c) at every step
                              + rows * kernel.CacheWidth(HiddenSize)      // what the cell keeps for backward
                              + (kernel.SeparateRecurrentGradient ? rows * G : 0)
                              + batch * (G + 3 * H);                      // one step's recurrent product and state gradients
        double total = 0;
        for (int k = 0; k < Layers; k++)
        {
            double input = k == 0 ? InputSize : OutputSize;
            total += Directions * perDirection + rows * (OutputSize + input); // output and input gradient of the layer
            if (Dropout > 0f && k < Layers - 1) total += 2 * rows * OutputSize;
        }
        return total;
    }

    // Per layer: the unfolded windows [T·B, In·K] and their gradient, the pre-activations [T·B, H], the output and the input gradient.
    private double TimeDelayWorkspaceFloats(double rows)
    {
        double total = 0;
        for (int k = 0; k < Layers; k++)
        {
            double input = k == 0 ? InputSize : OutputSize;
            total += 2 * rows * input * Window.Taps + rows * HiddenSize + rows * (OutputSize + input);
            if (Dropout > 0f && k < Layers - 1) total += 2 * rows * OutputSize;
        }
        return total;
    }

    /// <summary>The largest single array <see cref="WorkspaceFloats"/> counts (an array holds at most <see cref="Array.MaxLength"/> elements).</summary>
    public double LargestWorkspaceArray(long steps, long batch)
    {
        double rows = (double)steps * batch, G = Cell.GateCount() * (double)HiddenSize;
        if (Cell == CellKind.TimeDelay) return rows * Math.Max(InputSize, OutputSize) * Window.Taps;
        return rows * Math.Max(Math.Max(G, CellKernel.For(Cell).CacheWidth(HiddenSize)), Math.Max(InputSize, OutputSize));
    }
}

/// <summary>Hidden state h [L·D, B, H] and, for LSTMs, memory cell c [L·D, B, H] (null otherwise).</summary>
/// <param name="H">h [L·D, B, H]: the hidden state of layer k, direction d at index k·D + d.</param>
/// <param name="C">c [L·D, B, H]: the LSTM's memory cell, laid out as h; null for cells without one (GRU, RNN).</param>
public sealed record RecurrentState(Tensor H, Tensor? C);

/// <summary>Output [T, B, D·H] of the last layer (both directions concatenated: [fwd, bwd]) and the final state.</summary>
/// <param name="Output">[T, B, D·H] the last layer's h at every step, zero at padded steps; the stack's buffer until the next Forward.</param>
/// <param name="Final">The state every layer and direction ends in (forward after each sequence's own last step, reverse after step 0).</param>
public sealed record RecurrentOutput(Tensor Output, RecurrentState Final);

/// <summary>Gradients of the input [T, B, In] and of the initial state.</summary>
/// <param name="Input">dL/dx [T, B, In]; the stack's buffer until the next Backward.</param>
/// <param name="Initial">dL/d(initial state): h, c [L·D, B, H].</param>
public sealed record RecurrentGradients(Tensor Input, RecurrentState Initial);

/// <summary>
/// A stack of recurrent layers, optionally bidirectional, with dropout between layers: the equivalent of
/// PyTorch's nn.RNN / nn.LSTM / nn.GRU, with the same parameter names, shapes, gate order and formulas.
/// Sequences are time-major [T, B, F]; per-sequence lengths make a padded batch give exactly what each
/// sequence gives alone.
/// </summary>
public sealed class RecurrentStack : IModule
{
    private readonly IStackLayer[][] _layers; // [layer][direction]: recurrent directions, or one time-delay layer per layer
    private readonly Parameter?[] _initialH, _initialC; // [layer·D + direction], each [H], when learned
    private readonly Rng _dropoutRng;

    // Per-forward workspace: layer outputs [T, B, D·H] and dropout masks (inverted scaling) per layer < L−1.
    private Tensor[] _layerOutputs = [];
    private Tensor[] _inferenceOutputs = [];   // eval mode: up to two [T, B, D·H] outputs, layer k writes buffer k % 2
    private Tensor[] _dropoutMasks = [];
    private Tensor[] _droppedInputs = [];
    private Tensor[] _inputGradients = [];   // per layer [T, B, In_k], reused by every Backward
    private bool _lastForwardUsedDropout;
    private bool _lastForwardKeptActivations;
    private int[]? _lastForwardIds;          // the one-hot ids of the last forward, or null for a dense input
    private static readonly Tensor NoInputGradient = new(0);
    private int _steps, _batch;

    /// <summary>The sizes and choices the stack was built with.</summary>
    public RecurrentOptions Options { get; }

    /// <summary>
    /// When set, every Backward writes ‖∂L/∂h_t‖ per layer, direction, step and row into it (a diagnostic of gradient
    /// flow through time); null, the default, costs nothing.
    /// </summary>
    public StateGradientRecorder? StateGradients { get; set; }

    /// <summary>Dropout is applied only while training.</summary>
    public bool Training { get; set; } = true;

    /// <summary>A stack as <paramref name="options"/> describe it (validated first), with freshly drawn weights.</summary>
    /// <param name="options">Cell, sizes, layers, directions, dropout and initial state.</param>
    /// <param name="rng">Draws the initial weights (U(−1/√H, 1/√H), as PyTorch) and, forked, the dropout masks.</param>
    public RecurrentStack(RecurrentOptions options, Rng rng)
    {
        options.Validate();
        Options = options;
        int D = options.Directions, H = options.HiddenSize;
        _layers = new IStackLayer[options.Layers][];
        _initialH = new Parameter?[options.Layers * D];
        _initialC = new Parameter?[options.Layers * D];
        for (int k = 0; k < options.Layers; k++)
        {
            int inputSize = k == 0 ? options.InputSize : options.OutputSize;
            _layers[k] = new IStackLayer[D];
            if (options.Cell == CellKind.TimeDelay)
            {
                _layers[k][0] = new TimeDelayLayer(inputSize, H, options.Window, k, rng);
                continue;
            }
            for (int d = 0; d < D; d++)
            {
                string suffix = $"l{k}" + (d == 1 ? "_reverse" : "");
                _layers[k][d] = new RecurrentDirection(options.Cell, inputSize, H, reverse: d == 1, suffix, options.ClockPeriods);
                if (options.InitialState == InitialStateMode.Learned)
                {
                    _initialH[k * D + d] = new Parameter("initial_h_" + suffix, new Tensor(H));
                    if (options.Cell.HasCellState()) _initialC[k * D + d] = new Parameter("initial_c_" + suffix, new Tensor(H));
                }
            }
        }
        foreach (var direction in _layers.SelectMany(l => l).OfType<RecurrentDirection>())
        {
            Initialize(direction, options, rng);
            direction.ApplyRecurrentMask();
        }
        _dropoutRng = rng.Fork();
    }

    // PyTorch: every parameter U(−1/√H, 1/√H). Xavier / orthogonal: the two weight matrices drawn, biases and peepholes zero.
    private static void Initialize(RecurrentDirection direction, RecurrentOptions options, Rng rng)
    {
        int H = options.HiddenSize;
        if (options.Init == RecurrentInit.PyTorch)
        {
            float bound = 1f / MathF.Sqrt(H);
            foreach (var p in direction.Parameters()) rng.FillUniform(p.Value.Data, -bound, bound);
            return;
        }
        var ih = direction.WeightIh.Value;
        RecurrentInitializer.FillXavier(ih.Data, ih.Dim(0), ih.Dim(1), rng);
        var hh = direction.WeightHh.Value;
        if (options.Init == RecurrentInit.Xavier) RecurrentInitializer.FillXavier(hh.Data, hh.Dim(0), hh.Dim(1), rng);
        else
            for (int gate = 0; gate < hh.Dim(0) / H; gate++) RecurrentInitializer.FillOrthogonal(hh.Data.AsSpan(gate * H * H, H * H), H, rng);
        // Biases and peepholes stay at zero (a new direction's parameters are zero).
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() => [.. Parameters().Select(p => (p.Name, p))];

    /// <inheritdoc/>
    public IReadOnlyList<Rng> DropoutRngs => [_dropoutRng];

    /// <summary>All parameters in PyTorch's state_dict order, learned initial states last.</summary>
    public IReadOnlyList<Parameter> Parameters()
    {
        var list = new List<Parameter>();
        foreach (var layer in _layers)
            foreach (var direction in layer) list.AddRange(direction.Parameters());
        foreach (var p in _initialH) if (p is not null) list.Add(p);
        foreach (var p in _initialC) if (p is not null) list.Add(p);
        return list;
    }

    /// <summary>
    /// Sets every LSTM forget-gate bias to <paramref name="value"/> (in bias_ih; bias_hh's forget block to 0),
    /// so that the cell starts out remembering: the usual remedy for long time lags (Gers et al. 2000).
    /// For <see cref="CellKind.Lstm"/> and <see cref="CellKind.LstmPeephole"/>.
    /// </summary>
    public void InitializeForgetGateBias(float value)
    {
        if (Options.Cell == CellKind.LstmNoForgetGate)
            throw new InvalidOperationException($"The {Options.Cell.ToCliName()} cell (LSTM of 1997) has no forget gate, so it has no forget-gate bias to set.");
        if (!Options.Cell.HasForgetGate()) throw new InvalidOperationException($"Only LSTMs have a forget gate, not {Options.Cell.ToCliName()}.");
        InitializeKeepGateBias(value);
    }

    /// <summary>
    /// Chrono initialisation (Tallec &amp; Ollivier 2018, "Can recurrent neural networks warp time?"): each unit's
    /// forget-gate bias is log(u) with u ~ U[1, <paramref name="maxLag"/> − 1], so that the units' memory spans
    /// (about 1 / (1 − σ(b_f)) ≈ u + 1 steps) cover the lags up to maxLag, and an LSTM's input-gate bias is −b_f
    /// so that a unit that keeps long does not also write at every step. bias_hh's blocks are set to 0.
    /// For a GRU the update gate z plays the forget gate (h' = (1 − z)⊙n + z⊙h) and (1 − z) the input gate, so
    /// only b_z = log(u) is set (r, z, n order). Other cells have no gates: <see cref="InvalidOperationException"/>.
    /// </summary>
    public void InitializeChrono(int maxLag, Rng rng)
    {
        if (maxLag < 3) throw new ArgumentOutOfRangeException(nameof(maxLag), maxLag, "Chrono initialisation needs a longest lag of at least 3 steps.");
        int H = Options.HiddenSize;
        foreach (var direction in _layers.SelectMany(l => l).OfType<RecurrentDirection>())
        {
            var biasIh = direction.BiasIh.Value.Data;
            var biasHh = direction.BiasHh.Value.Data;
            var keep = biasIh.AsSpan(KeepGateBlock() * H, H);
            for (int j = 0; j < H; j++) keep[j] = MathF.Log(rng.Uniform(1f, maxLag - 1));
            biasHh.AsSpan(KeepGateBlock() * H, H).Clear();
            if (Options.Cell.HasForgetGate())
            {
                // Input gate i is block 0: b_i = −b_f.
                for (int j = 0; j < H; j++) biasIh[j] = -keep[j];
                biasHh.AsSpan(0, H).Clear();
            }
            direction.BiasIh.MarkChanged();
            direction.BiasHh.MarkChanged();
        }
    }

    /// <summary>
    /// Sets the bias of the gate that decides how much of the state is kept: an LSTM's forget gate (as
    /// <see cref="InitializeForgetGateBias"/>) or a GRU's update gate z, whose σ(b) is likewise the share of h kept.
    /// </summary>
    public void InitializeKeepGateBias(float value)
    {
        int H = Options.HiddenSize;
        int block = KeepGateBlock();
        foreach (var direction in _layers.SelectMany(l => l).OfType<RecurrentDirection>())
        {
            direction.BiasIh.Value.Data.AsSpan(block * H, H).Fill(value);
            direction.BiasHh.Value.Data.AsSpan(block * H, H).Clear();
            direction.BiasIh.MarkChanged();
            direction.BiasHh.MarkChanged();
        }
    }

    /// <summary>Whether the cell has a gate that decides how much state is kept (LSTM forget gate, GRU update gate).</summary>
    public bool HasKeepGate => Options.Cell.HasForgetGate() || Options.Cell == CellKind.Gru;

    // The gate block of the keep gate: LSTM i, f, g, o → f = 1; GRU r, z, n → z = 1.
    private int KeepGateBlock() => HasKeepGate ? 1
        : throw new InvalidOperationException($"A {Options.Cell.ToCliName()} cell has no forget or update gate to initialise.");

    /// <summary>The dropout random stream, exposed so checkpoints can save and restore it.</summary>
    public Rng DropoutRng => _dropoutRng;

    /// <summary>A zero state for a batch of the given size.</summary>
    public RecurrentState ZeroState(int batch)
    {
        int n = Options.Layers * Options.Directions;
        return new RecurrentState(new Tensor(n, batch, Options.HiddenSize),
            Options.Cell.HasCellState() ? new Tensor(n, batch, Options.HiddenSize) : null);
    }

    /// <summary>
    /// Forward over x [T, B, In]. <paramref name="initial"/> null means zeros or the learned initial state.
    /// <paramref name="lengths"/> [B] (each in 0..T) marks padded steps; null means every sequence has length T.
    /// The returned output tensor belongs to the stack and is overwritten by the next Forward; x must not
    /// change until Backward has run. In eval mode (<see cref="Training"/> false) this is the forward-only
    /// inference pass: the same numbers bit for bit, no dropout, nothing kept for backward (its memory does not grow
    /// with T beyond the outputs), so <see cref="Backward"/> then refuses to run.
    /// </summary>
    public RecurrentOutput Forward(Tensor x, RecurrentState? initial = null, int[]? lengths = null)
    {
        if (x.Rank != 3 || x.Dim(2) != Options.InputSize)
            throw new ArgumentException($"Expected input [T, B, {Options.InputSize}], got {x}.");
        return Run(x.Data, null, x.Dim(0), x.Dim(1), initial, lengths);
    }

    /// <summary>
    /// Forward over one-hot inputs given by their ids [T·B] (time-major), In = <see cref="RecurrentOptions.InputSize"/>
    /// symbols: the first layer's input projection x·W_ihᵀ is then column id of W_ih, looked up rather than multiplied,
    /// and Backward adds into those columns of dW_ih and returns no input gradient (an empty tensor). Otherwise as
    /// <see cref="Forward(Tensor, RecurrentState, int[])"/>.
    /// </summary>
    public RecurrentOutput ForwardOneHot(int[] ids, int steps, int batch, RecurrentState? initial = null, int[]? lengths = null)
    {
        ValidateIds(ids, steps, batch, Options.InputSize, "one-hot inputs");
        return Run(default, ids, steps, batch, initial, lengths);
    }

    /// <summary>
    /// Forward over token ids [T·B] (time-major) read through <paramref name="embedding"/> (weight [V, In]), without
    /// forming the embedded rows: the first layer's input projection is looked up in a table [V, G·H] = E·W_ihᵀ built per
    /// direction by the same GEMM at every call, rather than multiplied per token. That removes the first layer's largest
    /// product when V is below the T·B rows (a character model: V ≈ 65 against 3,200 rows).
    /// In eval mode the outputs and final state are bit for bit those of <see cref="Forward(Tensor, RecurrentState, int[])"/>
    /// of the embedded rows (the GEMM sums a row alike whatever the batch). In training mode they agree to rounding, and
    /// <see cref="Backward"/> adds the gradients of W_ih and of the embedding through the table (dTable = Σ dPre per id;
    /// dW_ih += dTableᵀ·E, dE += dTable·W_ih: products of V rows, not T·B) and returns no input gradient.
    /// </summary>
    public RecurrentOutput ForwardEmbedded(Embedding embedding, int[] ids, int steps, int batch, RecurrentState? initial = null, int[]? lengths = null)
    {
        if (embedding.Dimension != Options.InputSize)
            throw new ArgumentException($"Expected an embedding of dimension {Options.InputSize}, got {embedding.Dimension}.");
        ValidateIds(ids, steps, batch, embedding.VocabularySize, "embedded tokens");
        if (!Training)
            foreach (var direction in _layers[0]) direction.BuildTokenTable(embedding.Weight.Value.Data, embedding.VocabularySize);
        return Run(default, ids, steps, batch, initial, lengths, tokenEmbedding: embedding.Weight);
    }

    // ids [T·B] time-major, each below count (what the ids index: one-hot inputs or an embedding's rows).
    private static void ValidateIds(int[] ids, int steps, int batch, int count, string what)
    {
        if (steps <= 0 || batch <= 0 || ids.Length != steps * batch)
            throw new ArgumentException($"Expected {steps}·{batch} ids for [{steps}, {batch}], got {ids.Length}.");
        foreach (int id in ids)
            if ((uint)id >= (uint)count) throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {id} outside the {count} {what}.");
    }

    private RecurrentOutput Run(ReadOnlyMemory<float> x, int[]? ids, int T, int B, RecurrentState? initial, int[]? lengths,
        Parameter? tokenEmbedding = null)
    {
        int H = Options.HiddenSize, D = Options.Directions, L = Options.Layers;
        ValidateLengths(lengths, T, B);
        initial ??= InitialState(B);
        ValidateState(initial, B, "initial state");
        if (Training) EnsureWorkspace(T, B);
        else EnsureInferenceWorkspace(T, B);
        _lastForwardUsedDropout = Training && Options.Dropout > 0f;
        _lastForwardKeptActivations = Training;

        _lastForwardIds = ids;
        var final = ZeroState(B);
        ReadOnlyMemory<float> layerInput = x;
        for (int k = 0; k < L; k++)
        {
            var output = Training ? _layerOutputs[k] : _inferenceOutputs[k % 2]; // inference: layers alternate two buffers
            for (int d = 0; d < D; d++)
            {
                int sd = k * D + d;
                var direction = _layers[k][d];
                if (Training)
                    direction.Forward(layerInput, k == 0 ? ids : null, T, B, lengths,
                        initial.H.Slice(sd), initial.C is null ? default : initial.C.Slice(sd),
                        output.Data, D * H, d * H, final.H.Slice(sd), final.C is null ? default : final.C.Slice(sd),
                        tokenEmbedding: k == 0 ? tokenEmbedding : null);
                else
                    direction.Infer(layerInput, k == 0 ? ids : null, T, B, lengths,
                        initial.H.Slice(sd), initial.C is null ? default : initial.C.Slice(sd),
                        output.Data, D * H, d * H, final.H.Slice(sd), final.C is null ? default : final.C.Slice(sd),
                        useTokenTable: k == 0 && tokenEmbedding is not null);
            }
            layerInput = output.Data;
            if (k < L - 1 && _lastForwardUsedDropout)
            {
                ApplyNewDropoutMask(output, _dropoutMasks[k], _droppedInputs[k]);
                layerInput = _droppedInputs[k].Data;
            }
        }
        return new RecurrentOutput(Training ? _layerOutputs[L - 1] : _inferenceOutputs[(L - 1) % 2], final);
    }

    /// <summary>
    /// Backward of the last Forward. dOutput [T, B, D·H] and dFinal (h, c [L·D, B, H]) may be null for zero.
    /// Adds parameter gradients into their Grad; returns the gradients of x and of the initial state.
    /// The input gradient tensor belongs to the stack and is overwritten by the next Backward.
    /// </summary>
    public RecurrentGradients Backward(Tensor? dOutput, RecurrentState? dFinal = null)
    {
        int T = _steps, B = _batch, H = Options.HiddenSize, D = Options.Directions, L = Options.Layers;
        if (_layerOutputs.Length == 0) throw new InvalidOperationException("Backward called before Forward.");
        if (!_lastForwardKeptActivations)
            throw new InvalidOperationException("Backward after a forward in eval mode, which keeps no activations: set Training = true before the forward.");
        dOutput ??= new Tensor(T, B, D * H);
        if (!dOutput.HasShape(T, B, D * H)) throw new ArgumentException($"Expected output gradient [{T}, {B}, {D * H}], got {dOutput}.");
        if (dFinal is not null) ValidateState(dFinal, B, "final-state gradient");

        var dInitial = ZeroState(B);
        var noGradient = new float[B * H]; // stands for a final-state gradient the caller did not give
        Tensor dLayerOutput = dOutput;
        Tensor dInput = null!;
        for (int k = L - 1; k >= 0; k--)
        {
            dInput = k == 0 && _lastForwardIds is not null ? NoInputGradient : _inputGradients[k];
            dInput.Clear(); // both directions add into it
            for (int d = 0; d < D; d++)
            {
                int sd = k * D + d;
                _layers[k][d].Backward(dLayerOutput.Data, D * H, d * H,
                    dFinal is null ? noGradient : dFinal.H.Slice(sd),
                    dFinal?.C is null ? noGradient : dFinal.C.Slice(sd),
                    dInput.Data, dInitial.H.Slice(sd), dInitial.C is null ? default : dInitial.C.Slice(sd),
                    StateGradients?.Prepare(L * D, T, B, sd) ?? default);
            }
            if (k > 0 && _lastForwardUsedDropout)
                System.Numerics.Tensors.TensorPrimitives.Multiply(dInput.Data, _dropoutMasks[k - 1].Data, dInput.Data);
            dLayerOutput = dInput;
        }

        // A learned initial state is shared by the batch: its gradient is the sum over the batch.
        for (int sd = 0; sd < L * D; sd++)
        {
            if (_initialH[sd] is { } h0) AddBatchSum(dInitial.H.Slice(sd), B, h0.Grad.Data);
            if (_initialC[sd] is { } c0) AddBatchSum(dInitial.C!.Slice(sd), B, c0.Grad.Data);
        }
        return new RecurrentGradients(dInput, dInitial);
    }

    /// <summary>
    /// Starts a training forward driven one step at a time (<see cref="StepForward"/>), for a caller whose input at step t
    /// depends on the outputs of earlier steps (input feeding). x [T, B, In] is read a row block at a time as its step runs,
    /// so the caller fills row block t before step t; it must stay unchanged until <see cref="EndStepBackward"/>.
    /// Unidirectional stacks (activations are kept for backward in either mode); the per-step arithmetic, dropout between layers (a mask per step) and the
    /// workspace are those of <see cref="Forward"/>: nothing is allocated per step. Returns the top layer's output
    /// [T, B, H], whose row block t holds h_t once step t has run (zero after a sequence's end).
    /// </summary>
    public Tensor BeginSteps(Tensor x, RecurrentState? initial = null, int[]? lengths = null)
    {
        if (Options.Bidirectional) throw new InvalidOperationException("A bidirectional stack cannot run step by step.");
        if (x.Rank != 3 || x.Dim(2) != Options.InputSize) throw new ArgumentException($"Expected input [T, B, {Options.InputSize}], got {x}.");
        int T = x.Dim(0), B = x.Dim(1), L = Options.Layers;
        ValidateLengths(lengths, T, B);
        initial ??= InitialState(B);
        ValidateState(initial, B, "initial state");
        EnsureWorkspace(T, B);
        _lastForwardUsedDropout = Training && Options.Dropout > 0f;
        _lastForwardKeptActivations = true;
        _lastForwardIds = null;
        for (int k = 0; k < L; k++)
        {
            var input = k == 0 ? x.Data : _lastForwardUsedDropout ? _droppedInputs[k - 1].Data : _layerOutputs[k - 1].Data;
            Stepped(k).BeginSteps(input, T, B, lengths, initial.H.Slice(k), initial.C is null ? default : initial.C.Slice(k));
        }
        return _layerOutputs[L - 1];
    }

    // Layer k as a recurrent direction that can run one step at a time (a time-delay layer reads a window of later frames).
    private RecurrentDirection Stepped(int k) => _layers[k][0] as RecurrentDirection
        ?? throw new InvalidOperationException("A time-delay layer cannot run step by step.");

    /// <summary>Step t (0, 1, ... in order) of a forward begun by <see cref="BeginSteps"/>: every layer, bottom to top.</summary>
    public void StepForward(int t)
    {
        int B = _batch, H = Options.HiddenSize, L = Options.Layers;
        for (int k = 0; k < L; k++)
        {
            Stepped(k).StepForward(t, _layerOutputs[k].Data, H, 0);
            if (k < L - 1 && _lastForwardUsedDropout)
            {
                // this step's slice of the mask between layer k and k + 1
                float keep = 1f - Options.Dropout, scale = 1f / keep;
                var mask = _dropoutMasks[k].Data.AsSpan(t * B * H, B * H);
                for (int i = 0; i < mask.Length; i++) mask[i] = _dropoutRng.NextFloat() < keep ? scale : 0f;
                System.Numerics.Tensors.TensorPrimitives.Multiply(_layerOutputs[k].Data.AsSpan(t * B * H, B * H), mask, _droppedInputs[k].Data.AsSpan(t * B * H, B * H));
            }
        }
    }

    /// <summary>Starts the backward of a stepped forward (the final state's gradient is taken as zero).</summary>
    public void BeginStepBackward()
    {
        if (_layerOutputs.Length == 0 || !_lastForwardKeptActivations) throw new InvalidOperationException("Backward called before a training forward.");
        var zero = new float[_batch * Options.HiddenSize];
        for (int k = 0; k < Options.Layers; k++) Stepped(k).BeginStepBackward(zero, zero);
    }

    /// <summary>
    /// Step t (T − 1, T − 2, ... in order) of the backward of a stepped forward: dOutput [T, B, H] holds in row block t the
    /// gradient of the top layer's output at step t; adds the gradient of the input at step t into dx [B, In].
    /// </summary>
    public void StepBackward(int t, Tensor dOutput, Span<float> dx)
    {
        int B = _batch, H = Options.HiddenSize, L = Options.Layers;
        if (!dOutput.HasShape(_steps, B, H)) throw new ArgumentException($"Expected output gradient [{_steps}, {B}, {H}], got {dOutput}.");
        float[] dy = dOutput.Data;
        for (int k = L - 1; k >= 0; k--)
        {
            var dInput = k == 0 ? dx : _inputGradients[k].Data.AsSpan(t * B * H, B * H);
            if (k > 0) dInput.Clear();
            Stepped(k).StepBackward(t, dy, H, 0, dInput);
            if (k > 0)
            {
                if (_lastForwardUsedDropout)
                    System.Numerics.Tensors.TensorPrimitives.Multiply(dInput, _dropoutMasks[k - 1].Data.AsSpan(t * B * H, B * H), dInput);
                dy = _inputGradients[k].Data;
            }
        }
    }

    /// <summary>Ends the backward of a stepped forward: adds every weight gradient and returns the initial state's gradient.</summary>
    public RecurrentState EndStepBackward()
    {
        int B = _batch, L = Options.Layers;
        var dInitial = ZeroState(B);
        for (int k = 0; k < L; k++)
            Stepped(k).EndStepBackward(dInitial.H.Slice(k), dInitial.C is null ? default : dInitial.C.Slice(k));
        for (int k = 0; k < L; k++)
        {
            if (_initialH[k] is { } h0) AddBatchSum(dInitial.H.Slice(k), B, h0.Grad.Data);
            if (_initialC[k] is { } c0) AddBatchSum(dInitial.C!.Slice(k), B, c0.Grad.Data);
        }
        return dInitial;
    }

    /// <summary>
    /// The state after the first <paramref name="steps"/> steps (0..T) of the last Forward — where a window that starts
    /// <paramref name="steps"/> steps later begins (truncated BPTT with overlapping windows). Unidirectional stacks only;
    /// padded sequences keep their state through the padding, as in Forward. A new copy.
    /// </summary>
    public RecurrentState StateAfter(int steps)
    {
        if (Options.Bidirectional) throw new InvalidOperationException("A bidirectional stack has no state part-way through a sequence.");
        if (_layerOutputs.Length == 0) throw new InvalidOperationException("StateAfter called before Forward.");
        if (steps < 0 || steps > _steps) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"Expected 0..{_steps} steps.");
        var state = ZeroState(_batch);
        for (int k = 0; k < Options.Layers; k++)
            _layers[k][0].CopyStateAfter(steps, state.H.Slice(k), state.C is null ? default : state.C.Slice(k));
        return state;
    }

    /// <summary>The state used when the caller gives none: zeros, or the learned vectors broadcast over the batch.</summary>
    public RecurrentState InitialState(int batch)
    {
        var state = ZeroState(batch);
        int H = Options.HiddenSize;
        for (int sd = 0; sd < _initialH.Length; sd++)
            for (int b = 0; b < batch; b++)
            {
                _initialH[sd]?.Value.Data.CopyTo(state.H.Slice(sd).Slice(b * H, H));
                _initialC[sd]?.Value.Data.CopyTo(state.C!.Slice(sd).Slice(b * H, H));
            }
        return state;
    }

    private void ApplyNewDropoutMask(Tensor output, Tensor mask, Tensor dropped)
    {
        float keep = 1f - Options.Dropout, scale = 1f / keep;
        var m = mask.Data;
        for (int i = 0; i < m.Length; i++) m[i] = _dropoutRng.NextFloat() < keep ? scale : 0f;
        System.Numerics.Tensors.TensorPrimitives.Multiply(output.Data, m, dropped.Data);
    }

    private void EnsureInferenceWorkspace(int steps, int batch)
    {
        if (_inferenceOutputs.Length > 0 && _inferenceOutputs[0].HasShape(steps, batch, Options.OutputSize)) return;
        int count = Math.Min(Options.Layers, 2);
        _inferenceOutputs = new Tensor[count];
        for (int k = 0; k < count; k++) _inferenceOutputs[k] = new Tensor(steps, batch, Options.OutputSize);
    }

    private void EnsureWorkspace(int steps, int batch)
    {
        if (steps == _steps && batch == _batch && _layerOutputs.Length > 0) return;
        int L = Options.Layers, width = Options.OutputSize;
        _layerOutputs = new Tensor[L];
        _inputGradients = new Tensor[L];
        for (int k = 0; k < L; k++)
        {
            _layerOutputs[k] = new Tensor(steps, batch, width);
            _inputGradients[k] = new Tensor(steps, batch, k == 0 ? Options.InputSize : width);
        }
        bool dropout = Options.Dropout > 0f && L > 1;
        _dropoutMasks = new Tensor[dropout ? L - 1 : 0];
        _droppedInputs = new Tensor[dropout ? L - 1 : 0];
        for (int k = 0; k < _dropoutMasks.Length; k++)
        {
            _dropoutMasks[k] = new Tensor(steps, batch, width);
            _droppedInputs[k] = new Tensor(steps, batch, width);
        }
        _steps = steps; _batch = batch;
    }

    private void ValidateState(RecurrentState state, int batch, string what)
    {
        int n = Options.Layers * Options.Directions, H = Options.HiddenSize;
        if (!state.H.HasShape(n, batch, H)) throw new ArgumentException($"Expected {what} h [{n}, {batch}, {H}], got {state.H}.");
        if (Options.Cell.HasCellState() && (state.C is null || !state.C.HasShape(n, batch, H)))
            throw new ArgumentException($"Expected {what} c [{n}, {batch}, {H}], got {state.C?.ToString() ?? "none"}.");
    }

    private static void ValidateLengths(int[]? lengths, int steps, int batch)
    {
        if (lengths is null) return;
        if (lengths.Length != batch) throw new ArgumentException($"Expected {batch} lengths, got {lengths.Length}.");
        foreach (int n in lengths)
            if (n < 0 || n > steps) throw new ArgumentException($"Sequence length {n} outside 0..{steps}.");
    }

    private static void AddBatchSum(ReadOnlySpan<float> perRow, int batch, Span<float> sum)
    {
        int H = sum.Length;
        for (int b = 0; b < batch; b++) System.Numerics.Tensors.TensorPrimitives.Add(sum, perRow.Slice(b * H, H), sum);
    }
}
