using Carousel.Tensors;

namespace Carousel.Optimizers;

/// <summary>
/// Base of the optimizers: updates a fixed list of named parameters from their gradients, with PyTorch's
/// exact update rules. Per-parameter state (moments, accumulators) is held in named tensors so that
/// checkpoints can save and restore it.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<string, Tensor> _state = new();

    /// <summary>An optimizer over <paramref name="parameters"/> (names must be unique) starting at <paramref name="learningRate"/> (≥ 0).</summary>
    protected Optimizer(IEnumerable<(string Name, Parameter Parameter)> parameters, float learningRate)
    {
        Parameters = parameters.ToList();
        if (Parameters.Select(p => p.Name).Distinct().Count() != Parameters.Count)
            throw new ArgumentException("Parameter names must be unique.");
        if (!(learningRate >= 0f) || float.IsInfinity(learningRate)) throw new ArgumentException($"Learning rate must be a non-negative number, got {learningRate}.");
        LearningRate = learningRate;
    }

    /// <summary>The parameters this optimizer updates, with the full names its state is keyed by ("rnn.weight_ih_l0").</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters { get; }

    /// <summary>The current learning rate; schedules set it before each step.</summary>
    public float LearningRate { get; set; }

    /// <summary>The number of updates taken so far (restored from checkpoints; Adam's bias correction uses it).</summary>
    public long StepCount { get; set; }

    /// <summary>Applies one update to every parameter from its gradient.</summary>
    public void Step()
    {
        StepCount++;
        foreach (var (name, p) in Parameters)
        {
            Update(name, p.Value.Data, p.Grad.Data);
            p.MarkChanged();
        }
    }

    /// <summary>Sets the gradient of every parameter to zero, before the next backward pass adds into it.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in Parameters) p.ZeroGrad();
    }

    /// <summary>The update rule for one parameter; <see cref="StepCount"/> is already the 1-based step.</summary>
    protected abstract void Update(string name, Span<float> value, ReadOnlySpan<float> grad);

    /// <summary>A state buffer of the given kind for a parameter ("exp_avg", "momentum_buffer", ...), created zero.</summary>
    protected Span<float> StateBuffer(string kind, string name, int length)
    {
        string key = kind + "." + name;
        if (!_state.TryGetValue(key, out var t))
        {
            t = new Tensor(length);
            _state[key] = t;
        }
        return t.Data;
    }

    /// <summary>Whether the state buffer of this kind already exists for the parameter (false before its first update).</summary>
    protected bool HasState(string kind, string name) => _state.ContainsKey(kind + "." + name);

    /// <summary>All state tensors by key ("exp_avg.rnn.weight_ih_l0"), for checkpoints.</summary>
    public IReadOnlyDictionary<string, Tensor> State => _state;

    /// <summary>Replaces the state (from a checkpoint). Keys must name known parameters with matching sizes.</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> state, long stepCount)
    {
        var sizes = Parameters.ToDictionary(p => p.Name, p => p.Parameter.Value.Length);
        foreach (var (key, t) in state)
        {
            int dot = key.IndexOf('.');
            string name = dot < 0 ? "" : key[(dot + 1)..];
            if (!sizes.TryGetValue(name, out int length))
                throw new InvalidDataException($"Optimizer state '{key}' names no parameter of this model.");
            if (t.Length != length)
                throw new InvalidDataException($"Optimizer state '{key}' has {t.Length} values, the parameter has {length}.");
        }
        _state.Clear();
        foreach (var (key, t) in state) _state[key] = new Tensor((float[])t.Data.Clone(), t.Length);
        StepCount = stepCount;
    }

    /// <summary>Throws <see cref="ArgumentException"/> with <paramref name="message"/> unless <paramref name="condition"/> holds.</summary>
    protected static void Require(bool condition, string message)
    {
        if (!condition) throw new ArgumentException(message);
    }
}
