using System.Numerics.Tensors;
using Carousel.Kernels;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Tensors;

namespace Carousel.Models;

/// <summary>
/// A character language model run one token at a time at batch 1, as sampling does: the logits [V] of each
/// step are bit for bit those of <see cref="CharLanguageModel.Run"/> with the same inputs and state.
/// Stacks the <see cref="RecurrentStepper"/> runs (unidirectional, known cells) go through it, with the
/// output layer as a matrix-vector product over weights packed once per weight change; any other stack goes
/// through <see cref="CharLanguageModel.Run"/> with T = 1, B = 1. Dropout is off in both.
/// </summary>
public sealed class CharModelStepper : IDisposable
{
    private readonly CharLanguageModel _model;
    private readonly RecurrentStepper? _stepper;
    private readonly float[] _logits;      // [V]
    private PackedMatrix? _output;         // op(B) = W_outᵀ [H, V]
    private Bf16Matrix? _output16;         // the same in bfloat16
    private int _outputVersion = -1;
    private readonly int[] _token = new int[1];
    private RecurrentState? _state;        // the general path's state

    /// <summary>A stepper over <paramref name="model"/>'s own weights, starting from the model's initial state.</summary>
    /// <param name="model">The model whose weights are used (read at each step; repacked when their Version changes).</param>
    /// <param name="threads">Threads per step (see <see cref="RecurrentStepper"/>); by default <see cref="Gemm.MaxThreads"/>.</param>
    /// <param name="precision">How the weights streamed per token are kept (see <see cref="RoundStreamedWeights"/>);
    /// bfloat16 needs the batch-1 path (<see cref="IsFast"/>) and is refused without it.</param>
    public CharModelStepper(CharLanguageModel model, int threads = 0, WeightPrecision precision = WeightPrecision.Float32)
        : this(model, threads, RecurrentStepper.MinimumHiddenForTwoThreads, precision: precision) { }

    /// <summary>As the public constructor, with the knobs tests turn.</summary>
    /// <param name="model">The model whose weights are used.</param>
    /// <param name="threads">Threads per step; 0 for <see cref="Gemm.MaxThreads"/>.</param>
    /// <param name="minimumHiddenForTwoThreads">The hidden size from which layers are split between two threads.</param>
    /// <param name="generalPath">Tests: take the general forward even when the stepper could run the stack.</param>
    /// <param name="precision">How the weights streamed per token are kept.</param>
    internal CharModelStepper(CharLanguageModel model, int threads, int minimumHiddenForTwoThreads, bool generalPath = false,
        WeightPrecision precision = WeightPrecision.Float32)
    {
        Precision = precision;
        _model = model;
        _logits = new float[model.Config.VocabularySize];
        if (!generalPath && RecurrentStepper.Supports(model.Rnn.Options))
            _stepper = new RecurrentStepper(model.Rnn, model.Embedding, threads > 0 ? threads : Gemm.MaxThreads, minimumHiddenForTwoThreads, precision,
                oneHot: model.Embedding is null);
        if (_stepper is null && precision != WeightPrecision.Float32)
            throw new NotSupportedException($"Weights in {precision} need the batch-1 path, which does not run {(model.Rnn.Options.Bidirectional ? "bidirectional stacks" : model.Rnn.Options.Cell.ToString())}.");
    }

    /// <summary>How the weights streamed per token are kept.</summary>
    public WeightPrecision Precision { get; }

    /// <summary>
    /// Rounds, in place, the weights a stepper with <paramref name="precision"/> keeps rounded: for bfloat16 every
    /// recurrent weight_hh, every weight_ih but the first layer's (folded with the embedding into a float32 table) and
    /// the output layer's weight; embeddings and biases stay float32. The general forward of the rounded model then
    /// computes what the stepper computes, up to the order of the sums: the way to measure the rounding's cost in
    /// quality (for example with the evaluator over a whole text).
    /// </summary>
    public static void RoundStreamedWeights(CharLanguageModel model, WeightPrecision precision)
    {
        if (precision == WeightPrecision.Float32) return;
        foreach (var p in model.Rnn.Parameters())
            if (p.Name.StartsWith("weight_hh_", StringComparison.Ordinal) || (p.Name.StartsWith("weight_ih_", StringComparison.Ordinal) && p.Name != "weight_ih_l0"))
                WeightRounding.RoundToBf16(p);
        WeightRounding.RoundToBf16(model.Output.Weight);
    }

    /// <summary>Whether steps run on the dedicated batch-1 path (false: through the general forward).</summary>
    public bool IsFast => _stepper is not null;

    /// <summary>Threads a step uses.</summary>
    public int Threads => _stepper?.Threads ?? 1;

    /// <summary>Layer parts run by the helper thread so far: a measurement aid.</summary>
    internal long HelperParts => _stepper?.HelperParts ?? 0;

    /// <summary>Times the helper thread was found preempted mid-part: a measurement aid.</summary>
    internal int HelperStalls => _stepper?.HelperStalls ?? 0;

    /// <summary>Tests: leave every layer part but one to the helper thread.</summary>
    internal void LeavePartsToHelper() => _stepper?.LeavePartsToHelper();

    /// <summary>Sets the state (h, c [L, 1, H]); null means the model's initial state.</summary>
    public void Reset(RecurrentState? state = null)
    {
        if (_stepper is not null) _stepper.Reset(state);
        else _state = state;
    }

    /// <summary>The current state (a new copy).</summary>
    public RecurrentState State() => _stepper?.State() ?? _state ?? _model.Rnn.InitialState(1);

    /// <summary>Reads <paramref name="token"/> and returns the logits [V] of the next one (valid until the next step).</summary>
    public ReadOnlySpan<float> Step(int token)
    {
        if (_stepper is null)
        {
            _token[0] = token;
            bool wasTraining = _model.Training;
            _model.Training = false;
            (_, _state) = _model.Run(_token, null, 1, 1, _state);
            _model.Training = wasTraining;
            _model.Logits.CopyTo(_logits);
            return _logits;
        }
        var h = _stepper.Step(token);
        var weight = _model.Output.Weight;
        if (Precision == WeightPrecision.BFloat16)
        {
            if (_output16 is null) _output16 = new Bf16Matrix(weight.Value.Data, weight.Value.Dim(0), weight.Value.Dim(1));
            else if (_outputVersion != weight.Version) _output16.Repack(weight.Value.Data);
            _outputVersion = weight.Version;
            _output16.MultiplyVector(h, _logits, accumulate: false);
        }
        else
        {
            if (_output is null) _output = new PackedMatrix(weight.Value.Data, weight.Value.Dim(0), weight.Value.Dim(1), transpose: true);
            else if (_outputVersion != weight.Version) _output.Repack(weight.Value.Data);
            _outputVersion = weight.Version;
            // logits [V] = h [H] · W_outᵀ + b, in the general path's order.
            Gemm.Multiply(1, 1, h, h.Length, _output, _logits, _logits.Length, accumulate: false);
        }
        if (_model.Output.Bias is { } bias) TensorPrimitives.Add(_logits, bias.Value.Data, _logits);
        return _logits;
    }

    /// <summary>Stops the helper thread of a two-thread stepper (nothing to do otherwise).</summary>
    public void Dispose() => _stepper?.Dispose();
}
