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
public sealed record CharLanguageModelConfig(
    int VocabularySize,
    CellKind Cell = CellKind.Lstm,
    int HiddenSize = 256,
    int Layers = 2,
    int EmbeddingSize = 0,   // 0: same as HiddenSize (as nanoGPT/PyTorch char models do)
    float Dropout = 0f)
{
    /// <summary>E as built: <see cref="EmbeddingSize"/>, or <see cref="HiddenSize"/> when that is 0.</summary>
    public int EffectiveEmbeddingSize => EmbeddingSize > 0 ? EmbeddingSize : HiddenSize;
}

/// <summary>
/// Embedding(V, E) → recurrent stack → Linear(H, V), trained with mean cross-entropy over every position:
/// the char-rnn model. Parameter names follow a PyTorch module with children embedding, rnn and output.
/// Token sequences are time-major: ids[t·B + b].
/// </summary>
public sealed class CharLanguageModel : IModule
{
    private float[] _embedded = [], _logits = [], _dOutput = [];
    private int _rows;

    /// <summary>The sizes it was built with.</summary>
    public CharLanguageModelConfig Config { get; }

    /// <summary>embedding: the character vectors, weight [V, E].</summary>
    public Embedding Embedding { get; }

    /// <summary>rnn: the recurrent stack over the embedded characters, [T, B, E] → [T, B, H].</summary>
    public RecurrentStack Rnn { get; }

    /// <summary>output: Linear(H, V), from each step's h to the logits of the next character.</summary>
    public Linear Output { get; }

    /// <summary>A model of the given sizes, its weights drawn from <paramref name="rng"/> (PyTorch's default initialisations).</summary>
    public CharLanguageModel(CharLanguageModelConfig config, Rng rng)
    {
        Config = config;
        Embedding = new Embedding(config.VocabularySize, config.EffectiveEmbeddingSize, rng);
        Rnn = new RecurrentStack(new RecurrentOptions(config.Cell, config.EffectiveEmbeddingSize, config.HiddenSize,
            config.Layers, Dropout: config.Dropout), rng);
        Output = new Linear(config.HiddenSize, config.VocabularySize, rng);
    }

    /// <inheritdoc/>
    public IReadOnlyList<Rng> DropoutRngs => [Rnn.DropoutRng];

    /// <summary>True while training (dropout between stacked layers draws masks); false to evaluate or generate.</summary>
    public bool Training
    {
        get => Rnn.Training;
        set => Rnn.Training = value;
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() =>
        [.. Module.Child("embedding", Embedding), .. Module.Child("rnn", Rnn), .. Module.Child("output", Output)];

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
            _embedded = new float[rows * E];
            _logits = new float[rows * V];
            _dOutput = new float[rows * Config.HiddenSize];
            _rows = rows;
        }
        Embedding.Forward(inputs, _embedded);
        var embedded = new Tensor(_embedded, steps, batch, E);
        var (output, final) = Rnn.Forward(embedded, initial);
        Output.Forward(output.Data, rows, _logits);
        if (targets is null) return (0.0, final);

        var (loss, _) = SoftmaxCrossEntropy.Compute(_logits, targets, V, backward ? _logits : default);
        if (backward)
        {
            var dLogits = _logits; // now holds dLoss/dLogits
            var dOutput = new Tensor(_dOutput, steps, batch, Config.HiddenSize);
            Output.Backward(dLogits, dOutput.Data);
            var gradients = Rnn.Backward(dOutput);
            Embedding.Backward(gradients.Input.Data);
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
