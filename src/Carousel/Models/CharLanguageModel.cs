using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Tensors;

namespace Carousel.Models;

/// <summary>Sizes of a character-level language model.</summary>
/// <param name="VocabularySize">V: the distinct characters; ids run from 0 to V − 1.</param>
/// <param name="Cell">The recurrent cell of every layer.</param>
/// <param name="HiddenSize">H: the units of each recurrent layer.</param>
/// <param name="Layers">L: the stacked recurrent layers.</param>
/// <param name="EmbeddingSize">E: the length of each character's vector; 0 means the same as <paramref name="HiddenSize"/>.</param>
/// <param name="Dropout">The chance, in [0, 1), that each output of a recurrent layer below the last is zeroed while training.</param>
/// <param name="Input">An embedding (the default) or one-hot characters (no embedding; the first layer reads V inputs).</param>
/// <param name="OutputDropout">The chance, in [0, 1), that each output of the last recurrent layer is zeroed before the output layer while training.</param>
/// <param name="Init">How the recurrent weights are drawn.</param>
/// <param name="InitialState">Zeros or a learned initial state (used where a stream starts).</param>
public sealed record CharLanguageModelConfig(
    int VocabularySize,
    CellKind Cell = CellKind.Lstm,
    int HiddenSize = 256,
    int Layers = 2,
    int EmbeddingSize = 0,   // 0: same as HiddenSize (as nanoGPT/PyTorch char models do)
    float Dropout = 0f,
    InputEncoding Input = InputEncoding.Embedding,
    float OutputDropout = 0f,
    RecurrentInit Init = RecurrentInit.PyTorch,
    InitialStateMode InitialState = InitialStateMode.Zero)
{
    /// <summary>E as built: <see cref="EmbeddingSize"/>, or <see cref="HiddenSize"/> when that is 0.</summary>
    public int EffectiveEmbeddingSize => EmbeddingSize > 0 ? EmbeddingSize : HiddenSize;

    /// <summary>The first recurrent layer's inputs: E with an embedding, V with one-hot characters.</summary>
    public int RecurrentInputSize => Input == InputEncoding.OneHot ? VocabularySize : EffectiveEmbeddingSize;
}

/// <summary>
/// Embedding(V, E) → recurrent stack → dropout → Linear(H, V), trained with mean cross-entropy over every position:
/// the char-rnn model. Parameter names follow a PyTorch module with children embedding, rnn and output. With one-hot
/// input there is no embedding: the stack reads V inputs and its first layer looks up columns of weight_ih_l0.
/// Token sequences are time-major: ids[t·B + b].
/// </summary>
public sealed class CharLanguageModel : IModule
{
    private float[] _embedded = [], _logits = [], _dOutput = [], _dropped = [];
    private int _rows;
    private readonly Dropout _outputDropout;

    /// <summary>The sizes it was built with.</summary>
    public CharLanguageModelConfig Config { get; }

    /// <summary>embedding: the character vectors, weight [V, E]; null with one-hot input.</summary>
    public Embedding? Embedding { get; }

    /// <summary>rnn: the recurrent stack over the embedded characters, [T, B, E] → [T, B, H].</summary>
    public RecurrentStack Rnn { get; }

    /// <summary>output: Linear(H, V), from each step's h to the logits of the next character.</summary>
    public Linear Output { get; }

    /// <summary>A model of the given sizes, its weights drawn from <paramref name="rng"/> (PyTorch's default initialisations).</summary>
    public CharLanguageModel(CharLanguageModelConfig config, Rng rng)
    {
        Config = config;
        if (config.Input == InputEncoding.Embedding) Embedding = new Embedding(config.VocabularySize, config.EffectiveEmbeddingSize, rng);
        Rnn = new RecurrentStack(new RecurrentOptions(config.Cell, config.RecurrentInputSize, config.HiddenSize,
            config.Layers, Dropout: config.Dropout, InitialState: config.InitialState, Init: config.Init), rng);
        Output = new Linear(config.HiddenSize, config.VocabularySize, rng);
        // Shares the stack's dropout stream: at OutputDropout 0 nothing is drawn, so runs without it are as before.
        _outputDropout = new Dropout(config.OutputDropout, Rnn.DropoutRng);
    }

    /// <inheritdoc/>
    public IReadOnlyList<Rng> DropoutRngs => [Rnn.DropoutRng];

    /// <summary>True while training (dropout between stacked layers draws masks); false to evaluate or generate.</summary>
    public bool Training
    {
        get => Rnn.Training;
        set => Rnn.Training = _outputDropout.Training = value;
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() => Embedding is null
        ? [.. Module.Child("rnn", Rnn), .. Module.Child("output", Output)]
        : [.. Module.Child("embedding", Embedding), .. Module.Child("rnn", Rnn), .. Module.Child("output", Output)];

    /// <summary>
    /// Forward over inputs [T, B] and, when targets are given, the mean cross-entropy and (with
    /// <paramref name="backward"/>) the gradients, added into the parameters' Grad. Returns the loss in
    /// nats per position (0 without targets) and the final state, which can start the next chunk.
    /// The logits [T·B, V] of the last call are in <see cref="Logits"/>.
    /// </summary>
    public (double Loss, RecurrentState Final) Run(int[] inputs, int[]? targets, int steps, int batch,
        RecurrentState? initial = null, bool backward = false)
    {
        int rows = steps * batch, V = Config.VocabularySize, E = Config.EffectiveEmbeddingSize;
        if (inputs.Length != rows) throw new ArgumentException($"Expected {rows} input ids for [{steps}, {batch}], got {inputs.Length}.");
        if (targets is not null && targets.Length != rows) throw new ArgumentException($"Expected {rows} targets, got {targets.Length}.");
        if (backward && targets is null) throw new ArgumentException("Backward needs targets.");
        if (rows != _rows)
        {
            _logits = new float[rows * V];
            _dOutput = new float[rows * Config.HiddenSize];
            _dropped = Config.OutputDropout > 0f ? new float[rows * Config.HiddenSize] : [];
            _rows = rows;
        }
        RecurrentOutput stack;
        // A vocabulary below the rows: the first layer's input projection is looked up in E·W_ihᵀ (see ForwardEmbedded).
        bool lookedUp = Embedding is not null && V <= rows;
        if (Embedding is null) stack = Rnn.ForwardOneHot(inputs, steps, batch, initial);
        else if (lookedUp) stack = Rnn.ForwardEmbedded(Embedding, inputs, steps, batch, initial);
        else
        {
            if (_embedded.Length != rows * E) _embedded = new float[rows * E]; // only this path forms the embedded rows
            Embedding.Forward(inputs, _embedded);
            stack = Rnn.Forward(new Tensor(_embedded, steps, batch, E), initial);
        }
        var (output, final) = stack;
        // Dropout before the output layer, on a copy: the stack's output is its own (training only; nothing drawn at p = 0).
        bool dropOutput = Config.OutputDropout > 0f && _outputDropout.Training;
        float[] outputInput = output.Data;
        if (dropOutput)
        {
            output.Data.CopyTo(_dropped, 0);
            _outputDropout.Forward(_dropped);
            outputInput = _dropped;
        }
        Output.Forward(outputInput, rows, _logits);
        if (targets is null) return (0.0, final);

        var (loss, _) = SoftmaxCrossEntropy.Compute(_logits, targets, V, backward ? _logits : default);
        if (backward)
        {
            var dLogits = _logits; // now holds dLoss/dLogits
            var dOutput = new Tensor(_dOutput, steps, batch, Config.HiddenSize);
            Output.Backward(dLogits, dOutput.Data);
            if (dropOutput) _outputDropout.Backward(dOutput.Data);
            var gradients = Rnn.Backward(dOutput);
            if (!lookedUp) Embedding?.Backward(gradients.Input.Data); // else the stack added the embedding's gradient
            InitialStateGradient = gradients.Initial;
        }
        return (loss, final);
    }

    /// <summary>
    /// dLoss/d(initial state) h, c [L, B, H] of the last <see cref="Run"/> with backward, for models that compute the
    /// initial state themselves (a conditioned generator). Owned by the model until the next backward.
    /// </summary>
    public RecurrentState? InitialStateGradient { get; private set; }

    /// <summary>The logits [T·B, V] of the last <see cref="Run"/> without backward.</summary>
    public ReadOnlySpan<float> Logits => _logits;
}
