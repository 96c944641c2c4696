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
    private int _length;
    private bool _active;

    /// <summary>p: the chance that each element is zeroed while training, in [0, 1).</summary>
    public float Probability { get; }

    /// <summary>The generator the masks are drawn from (an owner may share one among several dropouts).</summary>
    public Rng Rng { get; }

    /// <summary>True: <see cref="Forward"/> draws a new mask; false (evaluation): values pass unchanged.</summary>
    public bool Training { get; set; } = true;

    /// <summary>Dropout with probability <paramref name="probability"/> in [0, 1), drawing its masks from <paramref name="rng"/>.</summary>
    public Dropout(float probability, Rng rng)
    {
        if (!(probability >= 0f && probability < 1f)) throw new ArgumentException($"Dropout must be in [0, 1), got {probability}.");
        Probability = probability;
        Rng = rng;
    }

    /// <summary>values [N] scaled in place by a fresh mask (nothing happens at evaluation or p = 0).</summary>
    public void Forward(Span<float> values)
    {
        _active = Training && Probability > 0f;
        _length = values.Length;
        if (!_active) return;
        if (_mask.Length < values.Length) _mask = new float[values.Length];
        float keep = 1f - Probability, scale = 1f / keep;
        var mask = _mask.AsSpan(0, values.Length);
        for (int i = 0; i < mask.Length; i++) mask[i] = Rng.NextFloat() < keep ? scale : 0f;
        TensorPrimitives.Multiply(values, mask, values);
    }

    /// <summary>dValues [N] scaled in place by the mask of the last Forward.</summary>
    public void Backward(Span<float> dValues)
    {
        if (dValues.Length != _length) throw new ArgumentException($"Expected {_length} gradients, got {dValues.Length}.");
        if (_active) TensorPrimitives.Multiply(dValues, _mask.AsSpan(0, _length), dValues);
    }
}
