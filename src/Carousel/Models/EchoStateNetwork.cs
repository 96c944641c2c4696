using Carousel.LinearAlgebra;
using Carousel.Tensors;

namespace Carousel.Models;

/// <summary>
/// How an echo state network's reservoir is drawn and its readout fitted. Defaults are ReservoirPy's quick-start:
/// 100 units, spectral radius 1.25, leak rate 0.3, input and bias scaling 1, connectivity 0.1, ridge 1e−5.
/// </summary>
/// <param name="Units">N: the reservoir's units, 1 to 4096.</param>
/// <param name="SpectralRadius">W is scaled so that its largest |eigenvalue| is this.</param>
/// <param name="LeakRate">a in x ← (1 − a)·x + a·tanh(…); 1 is no leak.</param>
/// <param name="InputScaling">Input weights are ±this (equally likely).</param>
/// <param name="BiasScaling">Bias weights (the input weights of the constant 1) are ±this.</param>
/// <param name="Connectivity">Share of W's entries that are non-zero (drawn N(0, 1) before scaling).</param>
/// <param name="InputConnectivity">Share of non-zero input weights, and of non-zero biases.</param>
/// <param name="Ridge">λ of the ridge regression that fits the readout.</param>
/// <param name="ReadoutSeesInput">Whether the readout reads [1; u; x] (Lukoševičius 2012) instead of [1; x] (ReservoirPy's Ridge on the reservoir alone).</param>
/// <param name="Seed">Seeds the draws of W and W_in: the same options give the same reservoir.</param>
public sealed record EchoStateOptions(
    int Units = 100,
    double SpectralRadius = 1.25,
    double LeakRate = 0.3,
    double InputScaling = 1.0,
    double BiasScaling = 1.0,
    double Connectivity = 0.1,
    double InputConnectivity = 0.1,
    double Ridge = 1e-5,
    bool ReadoutSeesInput = false,
    int Seed = 1)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first option out of range.</summary>
    public void Validate()
    {
        SettingException.Require(Units is > 0 and <= 4096, "Units", $"Units must be 1 to 4096, got {Units}.");
        SettingException.Require(SpectralRadius > 0 && !double.IsInfinity(SpectralRadius), "SpectralRadius", $"SpectralRadius must be positive, got {SpectralRadius}.");
        SettingException.Require(LeakRate > 0 && LeakRate <= 1, "LeakRate", $"LeakRate must be in (0, 1], got {LeakRate}.");
        SettingException.Require(InputScaling >= 0 && !double.IsInfinity(InputScaling), "InputScaling", $"InputScaling must be a non-negative number, got {InputScaling}.");
        SettingException.Require(BiasScaling >= 0 && !double.IsInfinity(BiasScaling), "BiasScaling", $"BiasScaling must be a non-negative number, got {BiasScaling}.");
        SettingException.Require(Connectivity > 0 && Connectivity <= 1, "Connectivity", $"Connectivity must be in (0, 1], got {Connectivity}.");
        SettingException.Require(InputConnectivity > 0 && InputConnectivity <= 1, "InputConnectivity", $"InputConnectivity must be in (0, 1], got {InputConnectivity}.");
        SettingException.Require(Ridge >= 0 && !double.IsInfinity(Ridge), "Ridge", $"Ridge must be a non-negative number, got {Ridge}.");
    }
}

/// <summary>
/// An echo state network (Jaeger 2001; Lukoševičius 2012, "A practical guide to applying echo state networks"):
/// a fixed random leaky-tanh reservoir
/// x(t+1) = (1 − a)·x(t) + a·tanh(W_in·[1; u(t)] + W·x(t)),
/// read out linearly, y(t) = W_out·[1; x(t+1)] (or [1; u(t); x(t+1)]), with W_out fitted in closed form by ridge
/// regression. The bias is the first column of W_in, the input weight of a constant 1, drawn and scaled like the
/// inputs (±<see cref="EchoStateOptions.BiasScaling"/>, sparse), as ReservoirPy draws it. W is sparse (CSR), its
/// non-zeros N(0, 1), scaled by the exact spectral radius from <see cref="Eigenvalues"/>. Everything is double.
/// </summary>
public sealed class EchoStateNetwork
{
    private readonly int[] _rowStart;     // [N + 1] CSR of W
    private readonly int[] _columns;      // [nnz]
    private readonly double[] _values;    // [nnz]
    private readonly double[] _inputWeights; // [N, 1 + In] column 0 is the bias
    private readonly double[] _state;     // [N] x(t)
    private readonly double[] _features;  // [D] [1; (u;) x] for the readout
    private readonly double _leak;
    private double[]? _readout;           // [Out, D]

    /// <summary>The options the reservoir was drawn with.</summary>
    public EchoStateOptions Options { get; }

    /// <summary>In: the values of each input step u(t).</summary>
    public int InputSize { get; }

    /// <summary>Out: the values of each output step y(t).</summary>
    public int OutputSize { get; }

    /// <summary>N: the reservoir's units.</summary>
    public int Units => Options.Units;

    /// <summary>Readout features D: 1 + N, plus In when the readout sees the input.</summary>
    public int FeatureCount => _features.Length;

    /// <summary>The spectral radius of W as drawn, before it was scaled to <see cref="EchoStateOptions.SpectralRadius"/>.</summary>
    public double DrawnSpectralRadius { get; }

    /// <summary>The reservoir state x(t) [N].</summary>
    public ReadOnlySpan<double> State => _state;

    /// <summary>The fitted readout W_out [Out, D], or null before <see cref="Fit"/>.</summary>
    public ReadOnlySpan<double> ReadoutWeights => _readout;

    /// <summary>Whether <see cref="Fit"/> has set the readout, which <see cref="ReadOut"/>, <see cref="Run"/> and <see cref="Generate"/> need.</summary>
    public bool IsFitted => _readout is not null;

    /// <summary>A dense copy of the scaled reservoir matrix W [N, N], for inspection.</summary>
    public double[] ReservoirWeights()
    {
        int N = Units;
        var dense = new double[N * N];
        for (int i = 0; i < N; i++)
            for (int k = _rowStart[i]; k < _rowStart[i + 1]; k++) dense[i * N + _columns[k]] = _values[k];
        return dense;
    }

    /// <summary>A copy of the input weights W_in [N, 1 + In]; column 0 holds the biases.</summary>
    public double[] InputWeights() => (double[])_inputWeights.Clone();

    /// <summary>
    /// Draws the reservoir W [N, N] and input weights W_in [N, 1 + In] from <see cref="EchoStateOptions.Seed"/>;
    /// the state starts at zero and the readout is not fitted yet.
    /// </summary>
    public EchoStateNetwork(int inputSize, int outputSize, EchoStateOptions options)
    {
        options.Validate();
        if (inputSize <= 0 || outputSize <= 0) throw new ArgumentException($"Input and output sizes must be positive, got {inputSize} and {outputSize}.");
        Options = options;
        InputSize = inputSize;
        OutputSize = outputSize;
        _leak = options.LeakRate;
        int N = options.Units;
        var rng = new Rng((ulong)options.Seed);

        // W: exactly round(connectivity·N²) non-zeros at distinct places, N(0, 1), then scaled to the spectral radius.
        var dense = new double[N * N];
        foreach (int position in DistinctPositions(rng, CountOf(options.Connectivity, N * N), N * N)) dense[position] = rng.NextGaussian();
        DrawnSpectralRadius = Eigenvalues.SpectralRadius(dense, N);
        if (!(DrawnSpectralRadius > 1e-12))
            throw new SettingException("Connectivity", "The drawn reservoir has no eigenvalue away from zero (too sparse): raise Connectivity or Units.", "Units");
        double scale = options.SpectralRadius / DrawnSpectralRadius;
        _rowStart = new int[N + 1];
        var columns = new List<int>();
        var values = new List<double>();
        for (int i = 0; i < N; i++)
        {
            for (int j = 0; j < N; j++)
                if (dense[i * N + j] != 0) { columns.Add(j); values.Add(dense[i * N + j] * scale); }
            _rowStart[i + 1] = columns.Count;
        }
        _columns = [.. columns];
        _values = [.. values];

        // W_in [N, 1 + In]: the bias column, then the inputs; each ±scaling at a share InputConnectivity of places.
        int width = 1 + inputSize;
        _inputWeights = new double[N * width];
        foreach (int i in DistinctPositions(rng, CountOf(options.InputConnectivity, N), N))
            _inputWeights[i * width] = options.BiasScaling * Sign(rng);
        foreach (int position in DistinctPositions(rng, CountOf(options.InputConnectivity, N * inputSize), N * inputSize))
            _inputWeights[position / inputSize * width + 1 + position % inputSize] = options.InputScaling * Sign(rng);

        _state = new double[N];
        _features = new double[1 + (options.ReadoutSeesInput ? inputSize : 0) + N];
    }

    /// <summary>Sets the reservoir state x to zeros (the fitted readout stays).</summary>
    public void ResetState() => Array.Clear(_state);

    /// <summary>Replaces the reservoir state (e.g. to run again from a saved point).</summary>
    public void SetState(ReadOnlySpan<double> state)
    {
        if (state.Length != Units) throw new ArgumentException($"Expected a state of {Units} values, got {state.Length}.");
        state.CopyTo(_state);
    }

    /// <summary>One reservoir step on u(t) [In]: x ← (1 − a)·x + a·tanh(W_in·[1; u] + W·x). Fills the readout features.</summary>
    public void Update(ReadOnlySpan<double> input)
    {
        if (input.Length != InputSize) throw new ArgumentException($"Expected {InputSize} inputs, got {input.Length}.");
        int N = Units, width = 1 + InputSize;
        var x = _state;
        // The new state goes into the feature buffer first: every row needs the old x.
        var next = _features.AsSpan(_features.Length - N, N);
        for (int i = 0; i < N; i++)
        {
            var w = _inputWeights.AsSpan(i * width, width);
            double pre = w[0];
            for (int j = 0; j < input.Length; j++) pre += w[1 + j] * input[j];
            for (int k = _rowStart[i]; k < _rowStart[i + 1]; k++) pre += _values[k] * x[_columns[k]];
            next[i] = (1 - _leak) * x[i] + _leak * Math.Tanh(pre);
        }
        next.CopyTo(x);
        _features[0] = 1;
        if (Options.ReadoutSeesInput) input.CopyTo(_features.AsSpan(1, InputSize));
    }

    /// <summary>y = W_out·features of the last <see cref="Update"/>, into <paramref name="output"/> [Out].</summary>
    public void ReadOut(Span<double> output)
    {
        var w = _readout ?? throw new InvalidOperationException("The readout has not been fitted yet.");
        int D = _features.Length;
        for (int o = 0; o < OutputSize; o++)
        {
            double y = 0;
            var row = w.AsSpan(o * D, D);
            for (int d = 0; d < D; d++) y += row[d] * _features[d];
            output[o] = y;
        }
    }

    /// <summary>
    /// Teacher forcing: runs the reservoir from its current state over inputs [T, In], drops the first
    /// <paramref name="washout"/> steps, and fits the readout to targets [T, Out] by ridge regression
    /// (Cholesky of the normal equations in double). The state is left after the last input.
    /// </summary>
    public void Fit(ReadOnlySpan<double> inputs, ReadOnlySpan<double> targets, int washout = 0)
    {
        int steps = CheckSequence(inputs, InputSize, "inputs");
        if (CheckSequence(targets, OutputSize, "targets") != steps) throw new ArgumentException($"{steps} input steps but {targets.Length / OutputSize} target steps.");
        if (washout < 0 || washout >= steps) throw new ArgumentException($"The washout must leave steps to fit: {washout} of {steps}.");
        var regression = new RidgeRegression(_features.Length, OutputSize);
        for (int t = 0; t < steps; t++)
        {
            Update(inputs.Slice(t * InputSize, InputSize));
            if (t >= washout) regression.Add(_features, targets.Slice(t * OutputSize, OutputSize));
        }
        _readout = regression.Solve(Options.Ridge);
    }

    /// <summary>Teacher-forced prediction: for each input [T, In] one reservoir step and one readout, into outputs [T, Out].</summary>
    public void Run(ReadOnlySpan<double> inputs, Span<double> outputs)
    {
        int steps = CheckSequence(inputs, InputSize, "inputs");
        if (outputs.Length != steps * OutputSize) throw new ArgumentException($"Expected room for {steps * OutputSize} outputs, got {outputs.Length}.");
        for (int t = 0; t < steps; t++)
        {
            Update(inputs.Slice(t * InputSize, InputSize));
            ReadOut(outputs.Slice(t * OutputSize, OutputSize));
        }
    }

    /// <summary>
    /// Free running (generative): starts from <paramref name="firstInput"/> [In] and feeds every output back as the
    /// next input, for outputs.Length / Out steps. Needs Out = In.
    /// </summary>
    public void Generate(ReadOnlySpan<double> firstInput, Span<double> outputs)
    {
        if (OutputSize != InputSize) throw new InvalidOperationException("Free running feeds outputs back as inputs: it needs as many outputs as inputs.");
        int steps = CheckSequence(outputs, OutputSize, "outputs");
        if (firstInput.Length != InputSize) throw new ArgumentException($"Expected {InputSize} inputs, got {firstInput.Length}.");
        Update(firstInput);
        for (int t = 0; t < steps; t++)
        {
            var y = outputs.Slice(t * OutputSize, OutputSize);
            ReadOut(y);
            if (t + 1 < steps) Update(y);
        }
    }

    private static int CheckSequence(ReadOnlySpan<double> values, int width, string what)
    {
        if (values.Length == 0 || values.Length % width != 0) throw new ArgumentException($"Expected {what} [T, {width}] with T ≥ 1, got {values.Length} values.");
        return values.Length / width;
    }

    private static int CountOf(double share, int total) => Math.Max(1, (int)Math.Round(share * total));

    private static double Sign(Rng rng) => rng.NextUInt64() >> 63 == 0 ? 1.0 : -1.0;

    /// <summary>count distinct indices in [0, total), uniformly: a partial Fisher–Yates shuffle.</summary>
    private static int[] DistinctPositions(Rng rng, int count, int total)
    {
        var indices = new int[total];
        for (int i = 0; i < total; i++) indices[i] = i;
        for (int i = 0; i < count; i++)
        {
            int j = i + rng.NextInt(total - i);
            (indices[i], indices[j]) = (indices[j], indices[i]);
        }
        return indices[..count];
    }
}
