using Carousel.Data;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Tensors;

namespace Carousel.Models;

/// <summary>How a classifier sums up the recurrent outputs of a sequence in one vector.</summary>
public enum SequencePooling
{
    /// <summary>Each direction's state at its own end: the forward output at the sequence's last step, the reverse output at step 0.</summary>
    Last,
    /// <summary>The mean of the outputs over the sequence's own steps.</summary>
    Mean,
    /// <summary>The element-wise maximum of the outputs over the sequence's own steps.</summary>
    Max,
}

/// <summary>Sizes of a sequence classifier.</summary>
/// <param name="VocabularySize">V: the distinct input symbols; ids run from 0 to V − 1.</param>
/// <param name="Classes">K: the classes, at least 2.</param>
/// <param name="Cell">The recurrent cell of every layer.</param>
/// <param name="HiddenSize">H: the units of each layer and direction.</param>
/// <param name="Layers">L: the stacked recurrent layers.</param>
/// <param name="Bidirectional">Whether each layer also reads the sequence backwards (D = 2).</param>
/// <param name="EmbeddingSize">E: the length of each symbol's vector.</param>
/// <param name="Dropout">The chance, in [0, 1), that each output of a recurrent layer below the last is zeroed while training.</param>
/// <param name="Pooling">How the outputs [T, D·H] of a sequence become the one vector [D·H] the output layer reads.</param>
/// <param name="Input">An embedding (the default) or one-hot symbols (no embedding; the first layer reads V inputs).</param>
/// <param name="OutputDropout">The chance, in [0, 1), that each value of the pooled vector is zeroed before the output layer while training.</param>
/// <param name="Init">How the recurrent weights are drawn.</param>
/// <param name="InitialState">Zeros or a learned initial state.</param>
public sealed record SequenceClassifierConfig(
    int VocabularySize,
    int Classes,
    CellKind Cell = CellKind.Lstm,
    int HiddenSize = 128,
    int Layers = 1,
    bool Bidirectional = true,
    int EmbeddingSize = 32,
    float Dropout = 0f,
    SequencePooling Pooling = SequencePooling.Last,
    InputEncoding Input = InputEncoding.Embedding,
    float OutputDropout = 0f,
    RecurrentInit Init = RecurrentInit.PyTorch,
    InitialStateMode InitialState = InitialStateMode.Zero);

/// <summary>
/// Many-to-one: Embedding(V, E) → recurrent stack (bidirectional if asked) → pooling over each sequence's own
/// steps → Linear(D·H, K) → softmax over the classes. Padded batches give what each sequence gives alone.
/// Parameter names follow a PyTorch module with children embedding, rnn and output.
/// </summary>
public sealed class SequenceClassifier : IModule
{
    private float[] _embedded = [], _dOutput = [];
    private float[] _summary = [], _dSummary = [], _logits = [];
    private int[] _maxStep = [];   // [B, D·H] the step each max came from (Max pooling)
    private int[] _lengths = [];
    private int _steps, _batch;
    private readonly Dropout _outputDropout;

    /// <summary>The sizes it was built with.</summary>
    public SequenceClassifierConfig Config { get; }

    /// <summary>embedding: the symbols' vectors, weight [V, E]; null with one-hot input.</summary>
    public Embedding? Embedding { get; }

    /// <summary>rnn: the recurrent stack over the embedded symbols, [T, B, E] → [T, B, D·H].</summary>
    public RecurrentStack Rnn { get; }

    /// <summary>output: Linear(D·H, K), from each sequence's pooled vector to the class logits.</summary>
    public Linear Output { get; }

    /// <summary>A classifier of the given sizes (at least 2 classes), its weights drawn from <paramref name="rng"/>.</summary>
    public SequenceClassifier(SequenceClassifierConfig config, Rng rng)
    {
        if (config.Classes < 2) throw new ArgumentException($"A classifier needs at least 2 classes, got {config.Classes}.");
        Config = config;
        bool oneHot = config.Input == InputEncoding.OneHot;
        if (!oneHot) Embedding = new Embedding(config.VocabularySize, config.EmbeddingSize, rng);
        Rnn = new RecurrentStack(new RecurrentOptions(config.Cell, oneHot ? config.VocabularySize : config.EmbeddingSize, config.HiddenSize, config.Layers,
            config.Bidirectional, config.Dropout, config.InitialState, config.Init), rng);
        Output = new Linear(Rnn.Options.OutputSize, config.Classes, rng);
        _outputDropout = new Dropout(config.OutputDropout, Rnn.DropoutRng); // nothing drawn at 0: runs without it are as before
    }

    /// <summary>K: the number of classes.</summary>
    public int Classes => Config.Classes;

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
        [.. Embedding is null ? [] : Module.Child("embedding", Embedding), .. Module.Child("rnn", Rnn), .. Module.Child("output", Output)];

    /// <summary>
    /// Forward over a padded batch; returns the logits [B, K] (owned by the model until the next Forward). With
    /// <paramref name="labels"/> [B] also the mean cross-entropy, and with <paramref name="backward"/> the gradients,
    /// added into the parameters' Grad (the logits are then overwritten by their gradient).
    /// </summary>
    public (double Loss, float[] Logits) Run(PaddedBatch batch, int[]? labels = null, bool backward = false)
    {
        if (backward && labels is null) throw new ArgumentException("Backward needs labels.");
        var logits = Forward(batch);
        if (labels is null) return (0, logits);
        if (labels.Length != batch.BatchSize) throw new ArgumentException($"Expected {batch.BatchSize} labels, got {labels.Length}.");
        var (loss, _) = SoftmaxCrossEntropy.Compute(logits, labels, Classes, backward ? logits : default);
        if (backward) Backward(logits);
        return (loss, logits);
    }

    /// <summary>Padded ids [T, B] → logits [B, K].</summary>
    public float[] Forward(PaddedBatch batch)
    {
        int T = batch.Steps, B = batch.BatchSize, E = Config.EmbeddingSize, W = Rnn.Options.OutputSize;
        if (T != _steps || B != _batch)
        {
            _embedded = Embedding is null ? [] : new float[T * B * E];
            _dOutput = new float[T * B * W];
            _summary = new float[B * W];
            _dSummary = new float[B * W];
            _maxStep = new int[B * W];
            _logits = new float[B * Classes];
            _steps = T; _batch = B;
        }
        _lengths = batch.Lengths;
        RecurrentOutput encoded;
        if (Embedding is null) encoded = Rnn.ForwardOneHot(batch.Ids, T, B, lengths: batch.Lengths);
        else if (!Rnn.Training && Embedding.VocabularySize <= T * B) // same numbers, the first product looked up
            encoded = Rnn.ForwardEmbedded(Embedding, batch.Ids, T, B, lengths: batch.Lengths);
        else
        {
            Embedding.Forward(batch.Ids, _embedded);
            encoded = Rnn.Forward(new Tensor(_embedded, T, B, E), lengths: batch.Lengths);
        }
        Pool(encoded.Output.Data); // y [T, B, D·H] → [B, D·H]
        _outputDropout.Forward(_summary);
        Output.Forward(_summary, B, _logits);
        return _logits;
    }

    /// <summary>dLogits [B, K] → adds every parameter's gradient.</summary>
    public void Backward(ReadOnlySpan<float> dLogits)
    {
        Output.Backward(dLogits, _dSummary);
        _outputDropout.Backward(_dSummary);
        Unpool(_dSummary, _dOutput);
        var gradients = Rnn.Backward(new Tensor(_dOutput, _steps, _batch, Rnn.Options.OutputSize));
        Embedding?.Backward(gradients.Input.Data);
    }

    // y [T, B, W] → _summary [B, W], over each row's own steps 0..len−1.
    private void Pool(ReadOnlySpan<float> y)
    {
        int B = _batch, W = Rnn.Options.OutputSize, H = Config.HiddenSize;
        for (int b = 0; b < B; b++)
        {
            int length = _lengths[b];
            var summary = _summary.AsSpan(b * W, W);
            switch (Config.Pooling)
            {
                case SequencePooling.Last:
                    // Forward half from the last real step; reverse half from step 0, where the reverse direction ends.
                    y.Slice(((length - 1) * B + b) * W, H).CopyTo(summary[..H]);
                    if (W > H) y.Slice(b * W + H, H).CopyTo(summary[H..]);
                    break;
                case SequencePooling.Mean:
                    summary.Clear();
                    for (int t = 0; t < length; t++)
                        System.Numerics.Tensors.TensorPrimitives.Add(summary, y.Slice((t * B + b) * W, W), summary);
                    System.Numerics.Tensors.TensorPrimitives.Multiply(summary, 1f / length, summary);
                    break;
                case SequencePooling.Max:
                    var from = _maxStep.AsSpan(b * W, W);
                    y.Slice(b * W, W).CopyTo(summary);
                    from.Clear();
                    for (int t = 1; t < length; t++)
                    {
                        var row = y.Slice((t * B + b) * W, W);
                        for (int j = 0; j < W; j++)
                            if (row[j] > summary[j]) { summary[j] = row[j]; from[j] = t; }
                    }
                    break;
            }
        }
    }

    // dSummary [B, W] → dY [T, B, W] (zero where the summary did not read).
    private void Unpool(ReadOnlySpan<float> dSummary, Span<float> dY)
    {
        int B = _batch, W = Rnn.Options.OutputSize, H = Config.HiddenSize;
        dY.Clear();
        for (int b = 0; b < B; b++)
        {
            int length = _lengths[b];
            var d = dSummary.Slice(b * W, W);
            switch (Config.Pooling)
            {
                case SequencePooling.Last:
                    d[..H].CopyTo(dY.Slice(((length - 1) * B + b) * W, H));
                    if (W > H) d[H..].CopyTo(dY.Slice(b * W + H, H));
                    break;
                case SequencePooling.Mean:
                    for (int t = 0; t < length; t++)
                        System.Numerics.Tensors.TensorPrimitives.Multiply(d, 1f / length, dY.Slice((t * B + b) * W, W));
                    break;
                case SequencePooling.Max:
                    var from = _maxStep.AsSpan(b * W, W);
                    for (int j = 0; j < W; j++) dY[(from[j] * B + b) * W + j] = d[j];
                    break;
            }
        }
    }
}
