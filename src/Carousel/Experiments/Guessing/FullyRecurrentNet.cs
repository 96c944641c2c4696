using Carousel.Experiments.Tasks;
using Carousel.Layers;
using Carousel.Tensors;

namespace Carousel.Experiments.Guessing;

/// <summary>
/// The small fully recurrent nets of the 1990s long-time-lag papers: U = H hidden units then K output units, updated one
/// after another in that order at each step, each from the current input, a bias and the newest activation of every unit —
/// this step's for the units before it, the step before's for itself and the units after it:
/// net_u(t) = Σ_f W_in[u, f]·x_f(t) + Σ_{v &lt; u} W_rec[u, v]·a_v(t) + Σ_{v ≥ u} W_rec[u, v]·a_v(t − 1) + b_u;
/// hidden units a = tanh(net), output units a = squash(net) (the task's <see cref="OutputSquash"/>), all activations 0 before
/// the first step. So within one step the output units see the hidden units' new activations, as in a layered net: with one
/// hidden unit such a net computes XOR of its input and its last output, which parity needs (updated all at once from the
/// step before, two units cannot). The output at each step is
/// the output units' net input, which the task squashes the same way to score it. Which connections exist, and which of them
/// are free (<see cref="Free"/>, the ones a learner sets) and which are fixed at their value, is the architecture's
/// (<see cref="GuessingNets"/>): an absent connection is a fixed zero.
/// </summary>
public sealed class FullyRecurrentNet : IModule
{
    private readonly Parameter _weightIn, _weightRec, _bias;
    private float[] _state = [];    // [B, U] the newest activation of every unit, overwritten in unit order

    /// <summary>A net with every connection present, free and zero; the architecture's builder removes and fixes connections.</summary>
    /// <param name="inputSize">F, inputs per step.</param>
    /// <param name="hidden">H, hidden units (0 when the output units are the only units).</param>
    /// <param name="outputs">K, output units.</param>
    /// <param name="squash">The output units' squashing function.</param>
    public FullyRecurrentNet(int inputSize, int hidden, int outputs, OutputSquash squash)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(hidden);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        InputSize = inputSize;
        Hidden = hidden;
        Outputs = outputs;
        Squash = squash;
        int units = hidden + outputs;
        _weightIn = new Parameter("weight_in", new Tensor(units, inputSize));   // [U, F]
        _weightRec = new Parameter("weight_rec", new Tensor(units, units));     // [U, U]
        _bias = new Parameter("bias", new Tensor(units));                      // [U]
        Free = [Filled(units * inputSize), Filled(units * units), Filled(units)];
    }

    /// <summary>F, inputs per step.</summary>
    public int InputSize { get; }
    /// <summary>H, hidden units: units 0 .. H − 1.</summary>
    public int Hidden { get; }
    /// <summary>K, output units: units H .. H + K − 1.</summary>
    public int Outputs { get; }
    /// <summary>U = H + K, the units.</summary>
    public int Units => Hidden + Outputs;
    /// <summary>The output units' squashing function.</summary>
    public OutputSquash Squash { get; }

    /// <summary>[U, F] input weights W_in.</summary>
    public Tensor WeightIn => _weightIn.Value;
    /// <summary>[U, U] recurrent weights W_rec, row = the receiving unit.</summary>
    public Tensor WeightRec => _weightRec.Value;
    /// <summary>[U] biases (the weight from a unit that is always 1).</summary>
    public Tensor Bias => _bias.Value;

    /// <summary>For each parameter in <see cref="NamedParameters"/> order, which of its entries are free; the others stay fixed.</summary>
    public bool[][] Free { get; }

    /// <summary>The free entries: the number of weights a learner sets.</summary>
    public int FreeCount => Free.Sum(f => f.Count(x => x));

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() =>
        [("weight_in", _weightIn), ("weight_rec", _weightRec), ("bias", _bias)];

    /// <inheritdoc/>
    public bool Training { get; set; }

    /// <inheritdoc/>
    public IReadOnlyList<Rng> DropoutRngs => [];

    /// <summary>Sets connection (<paramref name="parameter"/>, <paramref name="index"/>) fixed at <paramref name="value"/> (0: absent).</summary>
    public void Fix(int parameter, int index, float value)
    {
        Free[parameter][index] = false;
        NamedParameters()[parameter].Parameter.Value.Data[index] = value;
    }

    /// <summary>
    /// Runs the net over <paramref name="inputs"/> [T, B, F] and returns the output units' net inputs [T, B, K]; each row
    /// starts from zero activations (steps after a row's length are run on its zero inputs and do not matter).
    /// </summary>
    public Tensor Forward(Tensor inputs, int[] lengths)
    {
        int steps = inputs.Dim(0), batch = inputs.Dim(1), f = InputSize, u = Units, k = Outputs, h = Hidden;
        if (inputs.Dim(2) != f) throw new ArgumentException($"Expected {f} input features, got {inputs.Dim(2)}.");
        if (lengths.Length != batch) throw new ArgumentException($"Expected {batch} lengths, got {lengths.Length}.");
        if (_state.Length != batch * u) _state = new float[batch * u];
        Array.Clear(_state);
        var output = new Tensor(steps, batch, k);   // [T, B, K]
        float[] x = inputs.Data, wIn = WeightIn.Data, wRec = WeightRec.Data, bias = Bias.Data, y = output.Data;
        for (int t = 0; t < steps; t++)
        {
            for (int b = 0; b < batch; b++)
            {
                int xi = (t * batch + b) * f, si = b * u;
                for (int unit = 0; unit < u; unit++)
                {
                    double net = bias[unit];
                    for (int j = 0; j < f; j++) net += wIn[unit * f + j] * x[xi + j];
                    for (int v = 0; v < u; v++) net += wRec[unit * u + v] * _state[si + v];
                    float n = (float)net;
                    if (unit < h) _state[si + unit] = MathF.Tanh(n);
                    else
                    {
                        _state[si + unit] = Squash.Apply(n);
                        y[(t * batch + b) * k + unit - h] = n;
                    }
                }
            }
        }
        return output;
    }

    private static bool[] Filled(int n)
    {
        var all = new bool[n];
        Array.Fill(all, true);
        return all;
    }
}
