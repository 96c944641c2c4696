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
public sealed class SequenceTagger : IModule
{
    private float[] _logits = [], _embedded = [], _dOutput = [];
    private int _steps, _batch;

    /// <summary>embedding: the symbols' vectors, weight [V, F]; null when the tagger reads features.</summary>
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
    public SequenceTagger(RecurrentOptions options, int outputs, Rng rng, int vocabularySize = 0)
    {
        if (vocabularySize < 0) throw new ArgumentException($"Vocabulary size must be ≥ 0, got {vocabularySize}.");
        if (vocabularySize > 0) Embedding = new Embedding(vocabularySize, options.InputSize, rng);
        Rnn = new RecurrentStack(options, rng);
        Output = new Linear(options.OutputSize, outputs, rng);
    }

    /// <summary>K: the outputs (logits) of each step.</summary>
    public int OutputCount => Output.OutputSize;

    /// <summary>The generators of the dropout masks.</summary>
    public IReadOnlyList<Rng> DropoutRngs => [Rnn.DropoutRng];

    /// <summary>True while training (dropout between stacked layers draws masks); false to evaluate.</summary>
    public bool Training
    {
        get => Rnn.Training;
        set => Rnn.Training = value;
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
        if (T * B * OutputCount != _logits.Length) _logits = new float[T * B * OutputCount];
        _steps = T; _batch = B;
        var (y, _) = Rnn.Forward(x, initial, lengths);
        Output.Forward(y.Data, T * B, _logits);
        return new Tensor(_logits, T, B, OutputCount);
    }

    /// <summary>
    /// ids [T, B] time-major (padding may hold any valid id; <paramref name="lengths"/> [B] says where each
    /// sequence ends) → logits [T, B, K], through the embedding.
    /// </summary>
    public Tensor Forward(int[] ids, int steps, int batch, int[]? lengths = null)
    {
        if (Embedding is null) throw new InvalidOperationException("This tagger takes features, not ids: it has no embedding.");
        if (ids.Length != steps * batch) throw new ArgumentException($"Expected {steps * batch} ids for [{steps}, {batch}], got {ids.Length}.");
        int E = Embedding.Dimension;
        if (_embedded.Length != ids.Length * E) _embedded = new float[ids.Length * E];
        Embedding.Forward(ids, _embedded); // [T, B, E]
        return Forward(new Tensor(_embedded, steps, batch, E), lengths);
    }

    /// <summary>dLogits [T, B, K] → adds every parameter's gradient (the embedding's too, when there is one).</summary>
    public void Backward(ReadOnlySpan<float> dLogits)
    {
        int rows = _steps * _batch, outputSize = Rnn.Options.OutputSize;
        if (_dOutput.Length != rows * outputSize) _dOutput = new float[rows * outputSize];
        var dy = new Tensor(_dOutput, _steps, _batch, outputSize); // [T, B, D·H]
        Output.Backward(dLogits, dy.Data);
        var gradients = Rnn.Backward(dy);
        Embedding?.Backward(gradients.Input.Data);
    }
}
