using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Tensors;

namespace Carousel.Models;

/// <summary>
/// Many-to-many in step: a recurrent stack over input features [T, B, F] and a linear head giving
/// K outputs (logits) at every step [T, B, K]. The loss is the caller's: softmax cross-entropy for one
/// label per step, sigmoid cross-entropy for sets (the legal next symbols of a grammar), squared error.
/// Parameter names: rnn.* and output.*.
/// </summary>
public sealed class SequenceTagger
{
    private float[] _logits = [];
    private Tensor? _dOutput; // [T, B, D·H] the recurrent output's gradient, reused while T and B stay the same
    private int _steps, _batch;

    public RecurrentStack Rnn { get; }
    public Linear Output { get; }

    public SequenceTagger(RecurrentOptions options, int outputs, Rng rng)
    {
        Rnn = new RecurrentStack(options, rng);
        Output = new Linear(options.OutputSize, outputs, rng);
    }

    public int OutputCount => Output.OutputSize;

    public bool Training
    {
        get => Rnn.Training;
        set => Rnn.Training = value;
    }

    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() =>
        [.. Rnn.Parameters().Prefixed("rnn."), .. Output.Parameters().Prefixed("output.")];

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

    /// <summary>dLogits [T, B, K] → adds every parameter's gradient.</summary>
    public void Backward(ReadOnlySpan<float> dLogits)
    {
        if (_dOutput is null || !_dOutput.HasShape(_steps, _batch, Rnn.Options.OutputSize))
            _dOutput = new Tensor(_steps, _batch, Rnn.Options.OutputSize);
        Output.Backward(dLogits, _dOutput.Data); // overwrites: nothing of the last batch remains
        Rnn.Backward(_dOutput);
    }
}
