using System.Numerics.Tensors;
using Carousel.Data;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Tensors;

namespace Carousel.Models;

/// <summary>Sizes and choices of a <see cref="Seq2Seq"/> model (saved as JSON in its checkpoint).</summary>
public sealed record Seq2SeqConfig
{
    /// <summary>The cell of encoder and decoder: LSTM (default), GRU, or Elman RNN with tanh or ReLU.</summary>
    public CellKind Cell { get; init; } = CellKind.Lstm;

    /// <summary>The source symbols, the reserved &lt;pad&gt;, &lt;s&gt; and &lt;/s&gt; included.</summary>
    public int SourceVocabulary { get; init; }

    /// <summary>V: the target symbols, the reserved &lt;pad&gt;, &lt;s&gt; and &lt;/s&gt; included.</summary>
    public int TargetVocabulary { get; init; }

    /// <summary>E: the length of each symbol's vector, source and target alike.</summary>
    public int Embedding { get; init; } = 64;

    /// <summary>He: the encoder's units per layer and direction.</summary>
    public int EncoderHidden { get; init; } = 256;

    /// <summary>Le: the encoder's stacked layers.</summary>
    public int EncoderLayers { get; init; } = 1;

    /// <summary>Whether the encoder also reads the source backwards (D = 2: its outputs are 2·He wide).</summary>
    public bool Bidirectional { get; init; } = true;

    /// <summary>Hd: the decoder's units per layer.</summary>
    public int DecoderHidden { get; init; } = 512;

    /// <summary>Ld: the decoder's stacked layers.</summary>
    public int DecoderLayers { get; init; } = 1;

    /// <summary>Whether the decoder's outputs go through <see cref="LuongAttention"/> over the encoder's outputs.</summary>
    public bool Attention { get; init; } = true;

    /// <summary>p, in [0, 1): the dropout of both embeddings, between stacked layers and before the output layer, while training.</summary>
    public float Dropout { get; init; }

    /// <summary>Whether the encoder starts from a learned initial state (encoder.initial_h_l*, ...) instead of zeros; the decoder's comes from the encoder.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)] // configs saved before it read as they were
    public bool LearnedInitialState { get; init; }

    /// <summary>
    /// Input feeding (Luong et al. 2015): the attentional vector h̃ of step t joins the embedding of the previous symbol at
    /// the decoder's input at step t + 1 (decoder input E + Hd; needs attention). Training then runs the decoder a step at a time.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)] // configs saved before it read as they were
    public bool InputFeeding { get; init; }

    /// <summary>
    /// Variational dropout on the decoder side (Gal and Ghahramani 2016): the dropout of the target embeddings and the one
    /// before the output layer draw one mask per sequence, the same at every step, instead of a new one per step.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool VariationalDropout { get; init; }

    /// <summary>
    /// A right-to-left model: the decoder writes the target from its last symbol to its first (it was trained on reversed
    /// targets). <see cref="Seq2SeqDecoding"/> turns its outputs back into reading order, and an ensemble may mix both
    /// directions (Liu et al. 2016: each direction's candidates, ranked by all the models).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
    public bool RightToLeft { get; init; }

    /// <summary>The decoder's input at each step: the embedding E, and with input feeding also h̃ (Hd).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int DecoderInputSize => Embedding + (InputFeeding ? DecoderHidden : 0);

    /// <summary>Throws an <see cref="ArgumentException"/> for a vocabulary with no own symbol, a size ≤ 0, dropout outside [0, 1) or an unsupported cell.</summary>
    public void Validate()
    {
        if (SourceVocabulary <= TokenVocabulary.Reserved.Length || TargetVocabulary <= TokenVocabulary.Reserved.Length)
            throw new InvalidDataException("Source and target need at least one symbol each.");
        SettingException.Require(Embedding > 0, "Embedding", $"Embedding must be positive, got {Embedding}.");
        SettingException.Require(EncoderHidden > 0, "EncoderHidden", $"EncoderHidden must be positive, got {EncoderHidden}.");
        SettingException.Require(EncoderLayers > 0, "EncoderLayers", $"EncoderLayers must be positive, got {EncoderLayers}.");
        SettingException.Require(DecoderHidden > 0, "DecoderHidden", $"DecoderHidden must be positive, got {DecoderHidden}.");
        SettingException.Require(DecoderLayers > 0, "DecoderLayers", $"DecoderLayers must be positive, got {DecoderLayers}.");
        // The bridge from the encoder's final state to every decoder layer's initial state: [DecoderLayers·DecoderHidden, D·EncoderHidden].
        int directions = Bidirectional ? 2 : 1;
        SettingException.Require((double)DecoderLayers * DecoderHidden * EncoderHidden * directions <= Array.MaxLength, "DecoderLayers",
            $"The bridge from the encoder to the decoder, DecoderLayers × DecoderHidden by {directions} × EncoderHidden values " +
            $"({DecoderLayers} × {DecoderHidden} by {directions} × {EncoderHidden}), would not fit in an array.", "DecoderHidden", "EncoderHidden");
        SettingException.Require(Dropout >= 0f && Dropout < 1f, "Dropout", $"Dropout must be in [0, 1), got {Dropout}.");
        SettingException.Require(!InputFeeding || Attention, "InputFeeding", "InputFeeding feeds the attention's output back into the decoder; it needs Attention.", "Attention");
        if (Cell is not (CellKind.Lstm or CellKind.Gru or CellKind.RnnTanh or CellKind.RnnRelu)) throw new ArgumentException($"Unknown cell {Cell}.");
    }
}

/// <summary>
/// Encoder-decoder (Sutskever et al. 2014; Bahdanau et al. 2015; Luong et al. 2015):
/// source embedding → (bi)RNN encoder over the padded source (lengths respected);
/// bridge: the decoder's initial state from the encoder's final top-layer state, both directions concatenated,
/// h₀ = tanh(W_h [h_fwd; h_bwd] + b_h) and, for LSTMs, c₀ = W_c [c_fwd; c_bwd] + b_c, one slice of Hd per decoder layer;
/// target embedding of the previous symbol (teacher forcing; the start symbol first) → RNN decoder →
/// optionally <see cref="LuongAttention"/> over the encoder outputs (attention after the RNN; with
/// <see cref="Seq2SeqConfig.InputFeeding"/> its output h̃_t also joins the decoder's input at step t + 1) →
/// dropout → linear output over the target symbols, softmax cross-entropy with padding ignored.
/// Dropout (p) applies to both embeddings, between stacked layers and before the output layer.
/// Parameter names: source_embedding.weight, encoder.*, bridge_h.*, bridge_c.*, target_embedding.weight, decoder.*,
/// attention.linear_in.weight, attention.linear_out.weight, output.*.
/// </summary>
public sealed class Seq2Seq : IModule
{
    private readonly Dropout _sourceDropout, _targetDropout, _featureDropout;

    // Per-forward workspace (shapes in the comments where filled).
    private float[] _sourceX = [], _targetX = [], _bridgeInH = [], _bridgeInC = [], _bridgeH = [], _bridgeC = [], _features = [], _logits = [];
    // Input feeding: the decoder's inputs [T, B, E + Hd] = [embedding; h̃ of the step before], their gradient, and the embeddings' part of it [T, B, E].
    private float[] _feedX = [], _dFeedX = [], _dEmbedded = [], _dAttended = [];
    private int _targetSteps, _batch;

    /// <summary>The sizes and choices it was built with.</summary>
    public Seq2SeqConfig Config { get; }

    /// <summary>source_embedding: the source symbols' vectors, weight [source V, E].</summary>
    public Embedding SourceEmbedding { get; }

    /// <summary>encoder: the (bi)RNN over the embedded source, [S, B, E] → [S, B, D·He].</summary>
    public RecurrentStack Encoder { get; }

    /// <summary>bridge_h: Linear(D·He, Ld·Hd) whose tanh is the decoder's initial h, every layer's.</summary>
    public Linear BridgeH { get; }

    /// <summary>bridge_c: Linear(D·He, Ld·Hd) giving the decoder's initial c; null for cells without one.</summary>
    public Linear? BridgeC { get; }

    /// <summary>target_embedding: the target symbols' vectors, weight [V, E].</summary>
    public Embedding TargetEmbedding { get; }

    /// <summary>decoder: the RNN over the embedded previous symbols, [T, B, E] → [T, B, Hd] ([T, B, E + Hd] with input feeding).</summary>
    public RecurrentStack Decoder { get; }

    /// <summary>attention: Luong attention of the decoder's outputs over the encoder's; null when the config turns it off.</summary>
    public LuongAttention? Attention { get; }

    /// <summary>output: Linear(Hd, V), from each step's features to the logits of the next target symbol.</summary>
    public Linear Output { get; }

    /// <summary>A model as <paramref name="config"/> describes it (validated first), its weights drawn from <paramref name="rng"/>.</summary>
    public Seq2Seq(Seq2SeqConfig config, Rng rng)
    {
        config.Validate();
        Config = config;
        int De = EncoderOutputSize, bridgeOut = config.DecoderLayers * config.DecoderHidden;
        SourceEmbedding = new Embedding(config.SourceVocabulary, config.Embedding, rng);
        Encoder = new RecurrentStack(new RecurrentOptions(config.Cell, config.Embedding, config.EncoderHidden, config.EncoderLayers, config.Bidirectional, config.Dropout,
            config.LearnedInitialState ? InitialStateMode.Learned : InitialStateMode.Zero), rng);
        BridgeH = new Linear(De, bridgeOut, rng);
        if (config.Cell.HasCellState()) BridgeC = new Linear(De, bridgeOut, rng);
        TargetEmbedding = new Embedding(config.TargetVocabulary, config.Embedding, rng);
        Decoder = new RecurrentStack(new RecurrentOptions(config.Cell, config.DecoderInputSize, config.DecoderHidden, config.DecoderLayers, Dropout: config.Dropout), rng);
        if (config.Attention) Attention = new LuongAttention(De, config.DecoderHidden, rng);
        Output = new Linear(config.DecoderHidden, config.TargetVocabulary, rng);
        var dropoutRng = rng.Fork();
        _sourceDropout = new Dropout(config.Dropout, dropoutRng);
        _targetDropout = new Dropout(config.Dropout, dropoutRng);
        _featureDropout = new Dropout(config.Dropout, dropoutRng);
    }

    /// <summary>D·He: the width of the encoder's outputs and of its concatenated final top-layer state.</summary>
    public int EncoderOutputSize => Config.EncoderHidden * (Config.Bidirectional ? 2 : 1);

    /// <summary>The generators of the dropout masks (encoder, decoder, and the one the embedding and output dropouts share).</summary>
    public IReadOnlyList<Rng> DropoutRngs => [Encoder.DropoutRng, Decoder.DropoutRng, _sourceDropout.Rng];

    /// <summary>True while training (every dropout draws masks); false to evaluate; <see cref="StartDecoding"/> sets it false.</summary>
    public bool Training
    {
        get => Encoder.Training;
        set => Encoder.Training = Decoder.Training = _sourceDropout.Training = _targetDropout.Training = _featureDropout.Training = value;
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters()
    {
        var list = new List<(string, Parameter)>();
        list.AddRange(Module.Child("source_embedding", SourceEmbedding));
        list.AddRange(Module.Child("encoder", Encoder));
        list.AddRange(Module.Child("bridge_h", BridgeH));
        if (BridgeC is not null) list.AddRange(Module.Child("bridge_c", BridgeC));
        list.AddRange(Module.Child("target_embedding", TargetEmbedding));
        list.AddRange(Module.Child("decoder", Decoder));
        if (Attention is not null) list.AddRange(Module.Child("attention", Attention));
        list.AddRange(Module.Child("output", Output));
        return list;
    }

    /// <summary>
    /// Teacher-forced forward over a batch: returns the mean cross-entropy per target symbol (end symbol included) in
    /// nats and the number of symbols; keeps the gradient of the logits for <see cref="Backward"/>. With
    /// <paramref name="labelSmoothing"/> ε the loss is against targets smoothed as PyTorch's cross_entropy(label_smoothing=ε).
    /// </summary>
    public (double MeanLoss, int Count) Forward(Seq2SeqBatch batch, float labelSmoothing = 0f)
    {
        var source = batch.Source;
        int S = source.Steps, B = source.BatchSize, T = batch.DecoderInput.Steps, E = Config.Embedding, V = Config.TargetVocabulary;
        if (batch.DecoderInput.BatchSize != B || batch.Targets.Length != T * B) throw new ArgumentException("Source, decoder input and targets disagree in shape.");
        _targetSteps = T; _batch = B;

        // Encoder: embeddings [S, B, E] → outputs [S, B, De], final state [Le·D, B, He]
        Resize(ref _sourceX, S * B * E);
        SourceEmbedding.Forward(source.Ids, _sourceX);
        _sourceDropout.Forward(_sourceX);
        var encoded = Encoder.Forward(new Tensor(_sourceX, S, B, E), lengths: source.Lengths);

        // Decoder: embeddings [T, B, E] → outputs [T, B, Hd], started from the bridged state
        var initial = BridgeForward(encoded.Final, B);
        Resize(ref _targetX, T * B * E);
        TargetEmbedding.Forward(batch.DecoderInput.Ids, _targetX);
        if (Config.VariationalDropout) _targetDropout.Forward(_targetX, B * E); // [T, B, E]: one mask [B, E] for every step
        else _targetDropout.Forward(_targetX);
        Tensor features;
        if (Config.InputFeeding)
        {
            Attention!.SetMemory(encoded.Output, source.Lengths);
            features = FeedingForward(initial, batch.DecoderInput.Lengths);
        }
        else
        {
            var decoded = Decoder.Forward(new Tensor(_targetX, T, B, E), initial, batch.DecoderInput.Lengths);
            features = decoded.Output;
            if (Attention is not null)
            {
                Attention.SetMemory(encoded.Output, source.Lengths);
                features = Attention.Forward(decoded.Output);
            }
        }
        // features [T·B, Hd] (a copy: dropout must not change what the attention keeps for backward) → logits [T·B, V]
        Resize(ref _features, features.Length);
        features.Data.CopyTo(_features, 0);
        if (Config.VariationalDropout) _featureDropout.Forward(_features, _features.Length / T); // [T, B, Hd]: one mask [B, Hd]
        else _featureDropout.Forward(_features);
        Resize(ref _logits, T * B * V);
        Output.Forward(_features, T * B, _logits);
        return SoftmaxCrossEntropy.Compute(_logits, batch.Targets, V, _logits, labelSmoothing); // the logits buffer becomes dLogits
    }

    /// <summary>
    /// The teacher-forced decoder with input feeding, a step at a time over the whole batch: x_t = [embedding; h̃_{t−1}]
    /// (h̃_{−1} = 0) → every decoder layer (one fused step each) → attention → h̃_t, written into x_{t+1}. Returns h̃ [T, B, Hd].
    /// </summary>
    private Tensor FeedingForward(RecurrentState initial, int[] lengths)
    {
        int T = _targetSteps, B = _batch, E = Config.Embedding, Hd = Config.DecoderHidden, In = E + Hd;
        Resize(ref _feedX, T * B * In);
        for (int r = 0; r < T * B; r++) _targetX.AsSpan(r * E, E).CopyTo(_feedX.AsSpan(r * In, E));
        for (int b = 0; b < B; b++) _feedX.AsSpan(b * In + E, Hd).Clear();
        var decoderOutput = Decoder.BeginSteps(new Tensor(_feedX, T, B, In), initial, lengths); // [T, B, Hd], filled step by step
        var attended = Attention!.BeginSteps(decoderOutput);                                      // [T, B, Hd]
        for (int t = 0; t < T; t++)
        {
            Decoder.StepForward(t);
            Attention.StepForward(t);
            if (t + 1 == T) break;
            for (int b = 0; b < B; b++)
                attended.Data.AsSpan((t * B + b) * Hd, Hd).CopyTo(_feedX.AsSpan(((t + 1) * B + b) * In + E, Hd));
        }
        return attended;
    }

    /// <summary>
    /// Backward of <see cref="FeedingForward"/>, t = T − 1 .. 0: dh̃_t = (from the output layer) + (from x_{t+1}'s h̃ part) →
    /// attention → decoder step → dx_t. Returns the decoder's initial-state gradient and the attention memory's gradient;
    /// the embeddings' gradient [T·B, E] is left in _dEmbedded.
    /// </summary>
    private (RecurrentState DInitial, Tensor DMemory) FeedingBackward(Tensor dFeatures)
    {
        int T = _targetSteps, B = _batch, E = Config.Embedding, Hd = Config.DecoderHidden, In = E + Hd;
        Resize(ref _dFeedX, T * B * In);
        Array.Clear(_dFeedX);
        Resize(ref _dAttended, B * Hd);
        Decoder.BeginStepBackward();
        Tensor dQuery = null!;
        for (int t = T - 1; t >= 0; t--)
        {
            var dAttended = _dAttended.AsSpan();
            dFeatures.Data.AsSpan(t * B * Hd, B * Hd).CopyTo(dAttended);
            if (t + 1 < T)
                for (int b = 0; b < B; b++)
                {
                    var row = dAttended.Slice(b * Hd, Hd);
                    TensorPrimitives.Add(row, _dFeedX.AsSpan(((t + 1) * B + b) * In + E, Hd), row);
                }
            Attention!.StepBackward(t, dAttended);
            if (t == T - 1) dQuery = Attention.StepQueryGradients; // [T, B, Hd], row block t written by each step
            Decoder.StepBackward(t, dQuery, _dFeedX.AsSpan(t * B * In, B * In));
        }
        var dInitial = Decoder.EndStepBackward();
        var dMemory = Attention!.EndStepBackward();
        Resize(ref _dEmbedded, T * B * E);
        for (int r = 0; r < T * B; r++) _dFeedX.AsSpan(r * In, E).CopyTo(_dEmbedded.AsSpan(r * E, E));
        return (dInitial, dMemory);
    }

    /// <summary>Backward of the last <see cref="Forward"/>: adds every parameter's gradient of the mean loss.</summary>
    public void Backward()
    {
        int B = _batch, T = _targetSteps, Hd = Config.DecoderHidden;
        var dFeatures = new Tensor(T, B, Hd);
        Output.Backward(_logits, dFeatures.Data);
        _featureDropout.Backward(dFeatures.Data);

        Tensor dMemory = null!;
        RecurrentState dInitial;
        if (Config.InputFeeding)
        {
            (dInitial, dMemory) = FeedingBackward(dFeatures);
            _targetDropout.Backward(_dEmbedded);
            TargetEmbedding.Backward(_dEmbedded);
        }
        else
        {
            Tensor dDecoderOutput = dFeatures;
            if (Attention is not null) (dDecoderOutput, dMemory) = Attention.Backward(dFeatures);
            var decoderGradients = Decoder.Backward(dDecoderOutput);
            _targetDropout.Backward(decoderGradients.Input.Data);
            TargetEmbedding.Backward(decoderGradients.Input.Data);
            dInitial = decoderGradients.Initial;
        }

        var dEncoderFinal = BridgeBackward(dInitial, B);
        var encoderGradients = Encoder.Backward(dMemory, dEncoderFinal); // null dMemory: the outputs feed nothing without attention
        _sourceDropout.Backward(encoderGradients.Input.Data);
        SourceEmbedding.Backward(encoderGradients.Input.Data);
    }

    /// <summary>Encoder final state → the decoder's initial state [Ld, B, Hd] (h through tanh, c linear).</summary>
    private RecurrentState BridgeForward(RecurrentState final, int batch)
    {
        int Ld = Config.DecoderLayers, Hd = Config.DecoderHidden, De = EncoderOutputSize;
        var initial = Decoder.ZeroState(batch);
        Resize(ref _bridgeInH, batch * De);
        Resize(ref _bridgeH, batch * Ld * Hd);
        ConcatenateTopLayer(final.H, batch, _bridgeInH);                   // [B, D·He]
        BridgeH.Forward(_bridgeInH, batch, _bridgeH);                       // [B, Ld·Hd]
        TensorPrimitives.Tanh(_bridgeH, _bridgeH);
        SplitLayers(_bridgeH, batch, initial.H);
        if (BridgeC is not null)
        {
            Resize(ref _bridgeInC, batch * De);
            Resize(ref _bridgeC, batch * Ld * Hd);
            ConcatenateTopLayer(final.C!, batch, _bridgeInC);
            BridgeC.Forward(_bridgeInC, batch, _bridgeC);
            SplitLayers(_bridgeC, batch, initial.C!);
        }
        return initial;
    }

    /// <summary>Gradient of the decoder's initial state → gradient of the encoder's final state (zero below the top layer).</summary>
    private RecurrentState BridgeBackward(RecurrentState dInitial, int batch)
    {
        int Ld = Config.DecoderLayers, Hd = Config.DecoderHidden, De = EncoderOutputSize;
        var dFinal = Encoder.ZeroState(batch);
        var dOut = new float[batch * Ld * Hd];   // [B, Ld·Hd]
        var dIn = new float[batch * De];         // [B, D·He]
        JoinLayers(dInitial.H, batch, dOut);
        for (int i = 0; i < dOut.Length; i++) dOut[i] *= 1f - _bridgeH[i] * _bridgeH[i];
        BridgeH.Backward(dOut, dIn);
        ScatterTopLayer(dIn, batch, dFinal.H);
        if (BridgeC is not null)
        {
            JoinLayers(dInitial.C!, batch, dOut);
            BridgeC.Backward(dOut, dIn);
            ScatterTopLayer(dIn, batch, dFinal.C!);
        }
        return dFinal;
    }

    // state [Le·D, B, He], top layer's directions → rows [B, D·He] as [fwd, bwd]
    private void ConcatenateTopLayer(Tensor state, int batch, Span<float> rows)
    {
        int D = Config.Bidirectional ? 2 : 1, He = Config.EncoderHidden, top = (Config.EncoderLayers - 1) * D;
        for (int d = 0; d < D; d++)
        {
            var slice = state.Slice(top + d);
            for (int b = 0; b < batch; b++) slice.Slice(b * He, He).CopyTo(rows.Slice((b * D + d) * He, He));
        }
    }

    private void ScatterTopLayer(ReadOnlySpan<float> rows, int batch, Tensor state)
    {
        int D = Config.Bidirectional ? 2 : 1, He = Config.EncoderHidden, top = (Config.EncoderLayers - 1) * D;
        for (int d = 0; d < D; d++)
        {
            var slice = state.Slice(top + d);
            for (int b = 0; b < batch; b++) rows.Slice((b * D + d) * He, He).CopyTo(slice.Slice(b * He, He));
        }
    }

    // rows [B, Ld·Hd] → state [Ld, B, Hd]
    private void SplitLayers(ReadOnlySpan<float> rows, int batch, Tensor state)
    {
        int Ld = Config.DecoderLayers, Hd = Config.DecoderHidden;
        for (int k = 0; k < Ld; k++)
            for (int b = 0; b < batch; b++) rows.Slice((b * Ld + k) * Hd, Hd).CopyTo(state.Slice(k).Slice(b * Hd, Hd));
    }

    private void JoinLayers(Tensor state, int batch, Span<float> rows)
    {
        int Ld = Config.DecoderLayers, Hd = Config.DecoderHidden;
        for (int k = 0; k < Ld; k++)
            for (int b = 0; b < batch; b++) state.Slice(k).Slice(b * Hd, Hd).CopyTo(rows.Slice((b * Ld + k) * Hd, Hd));
    }

    /// <summary>
    /// Starts decoding a source batch with <paramref name="beams"/> rows per source (row b·K + k belongs to source b):
    /// encodes once, sets the attention memory repeated per beam, and returns the decoder's initial state [Ld, B·K, Hd]
    /// (with input feeding also h̃ = 0 [B·K, Hd]). Dropout is off while decoding.
    /// </summary>
    public Seq2SeqDecoderState StartDecoding(PaddedBatch source, int beams)
    {
        Training = false;
        int S = source.Steps, B = source.BatchSize, E = Config.Embedding, K = beams;
        var x = new float[S * B * E];
        SourceEmbedding.Forward(source.Ids, x);
        var encoded = Encoder.Forward(new Tensor(x, S, B, E), lengths: source.Lengths);
        var initial = new Seq2SeqDecoderState(Repeat(BridgeForward(encoded.Final, B), K), Config.InputFeeding ? new Tensor(B * K, Config.DecoderHidden) : null);
        if (Attention is not null)
        {
            int De = EncoderOutputSize;
            var memory = new Tensor(S, B * K, De);
            var lengths = new int[B * K];
            for (int b = 0; b < B; b++)
                for (int k = 0; k < K; k++)
                {
                    lengths[b * K + k] = source.Lengths[b];
                    for (int s = 0; s < S; s++)
                        encoded.Output.Data.AsSpan((s * B + b) * De, De).CopyTo(memory.Data.AsSpan((s * B * K + b * K + k) * De, De));
                }
            Attention.SetMemory(memory, lengths);
        }
        return initial;
    }

    /// <summary>
    /// One decoder step for N rows: the previous symbols [N] and the state → log-probabilities [N, V] written into
    /// <paramref name="logProbabilities"/>; returns the next state (with input feeding, carrying this step's h̃).
    /// </summary>
    public Seq2SeqDecoderState DecodeStep(int[] previous, Seq2SeqDecoderState state, Span<float> logProbabilities)
    {
        int N = previous.Length, E = Config.Embedding, V = Config.TargetVocabulary, Hd = Config.DecoderHidden;
        Resize(ref _targetX, N * E); // [1, N, E]
        TargetEmbedding.Forward(previous, _targetX);
        var input = new Tensor(_targetX, 1, N, E);
        if (Config.InputFeeding)
        {
            // x [1, N, E + Hd] = [embedding; h̃ of the step before]
            if (state.Feed is null || !state.Feed.HasShape(N, Hd)) throw new ArgumentException($"Input feeding needs the last h̃ [{N}, {Hd}] in the state.");
            int In = E + Hd;
            input = new Tensor(1, N, In);
            for (int r = 0; r < N; r++)
            {
                _targetX.AsSpan(r * E, E).CopyTo(input.Data.AsSpan(r * In, E));
                state.Feed.Data.AsSpan(r * Hd, Hd).CopyTo(input.Data.AsSpan(r * In + E, Hd));
            }
        }
        var decoded = Decoder.Forward(input, state.Recurrent);
        var features = Attention is null ? decoded.Output : Attention.Forward(decoded.Output);
        Output.Forward(features.Data, N, logProbabilities);
        LogSoftmax.Forward(logProbabilities[..(N * V)], V, logProbabilities[..(N * V)]);
        Tensor? feed = null;
        if (Config.InputFeeding)
        {
            feed = new Tensor(N, Hd);
            features.Data.AsSpan(0, N * Hd).CopyTo(feed.Data);
        }
        return new Seq2SeqDecoderState(decoded.Final, feed);
    }

    /// <summary>The state with each batch row repeated K times (row b·K + k from row b).</summary>
    public static RecurrentState Repeat(RecurrentState state, int K) => Gather(state, Enumerable.Range(0, state.H.Dim(1) * K).Select(r => r / K).ToArray());

    /// <summary>A new state whose row r is row <paramref name="rows"/>[r] of the given one (beam reordering).</summary>
    public static RecurrentState Gather(RecurrentState state, int[] rows)
    {
        return new RecurrentState(GatherRows(state.H, rows), state.C is null ? null : GatherRows(state.C, rows));

        static Tensor GatherRows(Tensor t, int[] rows)
        {
            int layers = t.Dim(0), oldBatch = t.Dim(1), H = t.Dim(2);
            var result = new Tensor(layers, rows.Length, H);
            for (int k = 0; k < layers; k++)
                for (int r = 0; r < rows.Length; r++)
                    t.Data.AsSpan((k * oldBatch + rows[r]) * H, H).CopyTo(result.Data.AsSpan((k * rows.Length + r) * H, H));
            return result;
        }
    }

    private static void Resize(ref float[] buffer, int length)
    {
        if (buffer.Length != length) buffer = new float[length];
    }
}
