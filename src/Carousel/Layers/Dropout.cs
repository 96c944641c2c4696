using System.Numerics.Tensors;
using Carousel.Tensors;

namespace Carousel.Layers;

/// <summary>
/// Inverted dropout, as PyTorch's nn.Dropout: while training each element is zeroed with probability p and the
/// rest scaled by 1/(1 − p), so nothing changes at evaluation. The mask is kept for backward.
/// </summary>
public sealed class Dropout
{
    private float[] _mask = [];
    private int _length, _period;
    private bool _active;

    /// <summary>p: the chance that each element is zeroed while training, in [0, 1).</summary>
    public float Probability { get; }

    /// <summary>The generator the masks are drawn from (an owner may share one among several dropouts).</summary>
    public Rng Rng { get; }

    /// <summary>True: <see cref="Forward(Span{float})"/> draws a new mask; false (evaluation): values pass unchanged.</summary>
    public bool Training { get; set; } = true;

    /// <summary>Dropout with probability <paramref name="probability"/> in [0, 1), drawing its masks from <paramref name="rng"/>.</summary>
    public Dropout(float probability, Rng rng)
    {
        if (!(probability >= 0f && probability < 1f)) throw new ArgumentException($"Dropout must be in [0, 1), got {probability}.");
        Probability = probability;
        Rng = rng;
    }

    /// <summary>values [N] scaled in place by a fresh mask (nothing happens at evaluation or p = 0).</summary>
    public void Forward(Span<float> values) => Forward(values, values.Length);

    /// <summary>
    /// values [N] scaled in place by a fresh mask of <paramref name="period"/> values repeated over them: for values [T, B, F]
    /// and period B·F, variational dropout (Gal and Ghahramani 2016) — one mask per sequence, the same at every step.
    /// N must be a multiple of the period.
    /// </summary>
    public void Forward(Span<float> values, int period)
    {
        if (period <= 0 || values.Length % period != 0) throw new ArgumentException($"{values.Length} values do not repeat a mask of {period}.");
        _active = Training && Probability > 0f;
        _length = values.Length;
        _period = period;
        if (!_active) return;
        if (_mask.Length < period) _mask = new float[period];
        float keep = 1f - Probability, scale = 1f / keep;
        var mask = _mask.AsSpan(0, period);
        for (int i = 0; i < mask.Length; i++) mask[i] = Rng.NextFloat() < keep ? scale : 0f;
        for (int start = 0; start < values.Length; start += period)
            TensorPrimitives.Multiply(values.Slice(start, period), mask, values.Slice(start, period));
    }

    /// <summary>dValues [N] scaled in place by the mask of the last Forward.</summary>
    public void Backward(Span<float> dValues)
    {
        if (dValues.Length != _length) throw new ArgumentException($"Expected {_length} gradients, got {dValues.Length}.");
        if (!_active) return;
        var mask = _mask.AsSpan(0, _period);
        for (int start = 0; start < _length; start += _period)
            TensorPrimitives.Multiply(dValues.Slice(start, _period), mask, dValues.Slice(start, _period));
    }
}
