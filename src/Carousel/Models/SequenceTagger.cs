using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Tensors;

namespace Carousel.Models;

/// <summary>
/// Many-to-many in step: a recurrent stack over input features [T, B, F] and a linear head giving
/// K outputs (logits) at every step [T, B, K]. The loss is the caller's: softmax cross-entropy for one
/// label per step, sigmoid cross-entropy for sets (the legal next symbols of a grammar), squared error.
/// With a vocabulary size the input is symbol ids [T, B] looked up in an embedding (characters to tags).
/// Parameter names: embedding.* (when there is one), rnn.* and output.*.
/// </summary>
public sealed class SequenceTagger : IPerStepOutputModel
{
    private float[] _logits = [], _embedded = [], _dOutput = [], _dropped = [];
    private int _steps, _batch;
    private readonly Dropout _outputDropout;
    private readonly int _oneHotSymbols; // V when ids are read as one-hot vectors, else 0

    /// <summary>embedding: the symbols' vectors, weight [V, F]; null when the tagger reads features or one-hot symbols.</summary>
    public Embedding? Embedding { get; }

    /// <summary>rnn: the recurrent stack over the input features, [T, B, F] → [T, B, D·H].</summary>
    public RecurrentStack Rnn { get; }

    /// <summary>output: Linear(D·H, K), from each step's output to its K logits.</summary>
    public Linear Output { get; }

    /// <summary>A tagger of the given sizes, its weights drawn from <paramref name="rng"/>.</summary>
    /// <param name="options">The recurrent stack; its InputSize is F, the features of each step.</param>
    /// <param name="outputs">K: the outputs (logits) of each step.</param>
    /// <param name="rng">Draws the initial weights of embedding, stack and output layer.</param>
    /// <param name="vocabularySize">0: the input is features [T, B, options.InputSize]; otherwise ids below this
    /// size, embedded into options.InputSize features.</param>
    /// <param name="input">With a vocabulary: an embedding (the default) or one-hot ids, options.InputSize being the vocabulary size.</param>
    /// <param name="outputDropout">The chance, in [0, 1), that each output of the last recurrent layer is zeroed before the output layer while training.</param>
    public SequenceTagger(RecurrentOptions options, int outputs, Rng rng, int vocabularySize = 0, InputEncoding input = InputEncoding.Embedding, float outputDropout = 0f)
    {
        if (vocabularySize < 0) throw new ArgumentException($"Vocabulary size must be ≥ 0, got {vocabularySize}.");
        if (input == InputEncoding.OneHot)
        {
            if (vocabularySize != options.InputSize) throw new ArgumentException($"One-hot input needs InputSize = the vocabulary size {vocabularySize}, got {options.InputSize}.");
            _oneHotSymbols = vocabularySize;
        }
        else if (vocabularySize > 0) Embedding = new Embedding(vocabularySize, options.InputSize, rng);
        Rnn = new RecurrentStack(options, rng);
        Output = new Linear(options.OutputSize, outputs, rng);
        _outputDropout = new Dropout(outputDropout, Rnn.DropoutRng); // nothing drawn at 0: runs without it are as before
    }

    /// <summary>K: the outputs (logits) of each step.</summary>
    public int OutputCount => Output.OutputSize;

    /// <summary>V when the tagger reads one-hot symbol ids (no embedding), else 0.</summary>
    public int OneHotSymbols => _oneHotSymbols;

    /// <summary>The generators of the dropout masks.</summary>
    public IReadOnlyList<Rng> DropoutRngs => [Rnn.DropoutRng];

    /// <summary>True while training (dropout between stacked layers draws masks); false to evaluate.</summary>
    public bool Training
    {
        get => Rnn.Training;
        set => Rnn.Training = _outputDropout.Training = value;
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() =>
    [
        .. Embedding is null ? [] : Module.Child("embedding", Embedding),
        .. Module.Child("rnn", Rnn), .. Module.Child("output", Output),
    ];

    /// <summary>x [T, B, F] → logits [T, B, K] (owned by the model until the next Forward).</summary>
    public Tensor Forward(Tensor x, int[]? lengths = null, RecurrentState? initial = null)
    {
        int T = x.Dim(0), B = x.Dim(1);
        return Head(Rnn.Forward(x, initial, lengths).Output, T, B);
    }

    // y [T, B, D·H] → dropout (on a copy: the stack owns y) → logits [T, B, K].
    private Tensor Head(Tensor y, int T, int B)
    {
        if (T * B * OutputCount != _logits.Length) _logits = new float[T * B * OutputCount];
        _steps = T; _batch = B;
        float[] input = y.Data;
        if (_outputDropout.Probability > 0f)
        {
            if (_dropped.Length != y.Length) _dropped = new float[y.Length];
            y.Data.CopyTo(_dropped, 0);
            _outputDropout.Forward(_dropped);
            input = _dropped;
        }
        Output.Forward(input, T * B, _logits);
        return new Tensor(_logits, T, B, OutputCount);
    }

    /// <summary>
    /// ids [T, B] time-major (padding may hold any valid id; <paramref name="lengths"/> [B] says where each
    /// sequence ends) → logits [T, B, K], through the embedding.
    /// </summary>
    public Tensor Forward(int[] ids, int steps, int batch, int[]? lengths = null)
    {
        if (ids.Length != steps * batch) throw new ArgumentException($"Expected {steps * batch} ids for [{steps}, {batch}], got {ids.Length}.");
        if (_oneHotSymbols > 0) return Head(Rnn.ForwardOneHot(ids, steps, batch, lengths: lengths).Output, steps, batch);
        if (Embedding is null) throw new InvalidOperationException("This tagger takes features, not ids: it has no embedding.");
        if (!Rnn.Training && Embedding.VocabularySize <= steps * batch) // same numbers, the first product looked up
            return Head(Rnn.ForwardEmbedded(Embedding, ids, steps, batch, lengths: lengths).Output, steps, batch);
        int E = Embedding.Dimension;
        if (_embedded.Length != ids.Length * E) _embedded = new float[ids.Length * E];
        Embedding.Forward(ids, _embedded); // [T, B, E]
        return Forward(new Tensor(_embedded, steps, batch, E), lengths);
    }

    /// <inheritdoc/>
    Tensor IPerStepOutputModel.Forward(Tensor x, int[]? lengths) => Forward(x, lengths);

    /// <summary>dLogits [T, B, K] → adds every parameter's gradient (the embedding's too, when there is one).</summary>
    public void Backward(ReadOnlySpan<float> dLogits)
    {
        int rows = _steps * _batch, outputSize = Rnn.Options.OutputSize;
        if (_dOutput.Length != rows * outputSize) _dOutput = new float[rows * outputSize];
        var dy = new Tensor(_dOutput, _steps, _batch, outputSize); // [T, B, D·H]
        Output.Backward(dLogits, dy.Data);
        if (_outputDropout.Probability > 0f) _outputDropout.Backward(dy.Data);
        var gradients = Rnn.Backward(dy);
        Embedding?.Backward(gradients.Input.Data);
    }
}
