using System.Globalization;
using System.Text;
using Carousel.Data.Tasks;
using Carousel.Diagnostics;
using Carousel.Kernels;
using Carousel.Layers.Recurrent;
using Carousel.Optimizers;
using Carousel.Tensors;
using Carousel.Training;

namespace Carousel.Experiments;

/// <summary>Settings of the exploding-gradient experiment: the network, its recurrent gain, the adding problem's length and SGD's budget.</summary>
/// <param name="Cell">The recurrent cell (a tanh RNN shows the explosion).</param>
/// <param name="Length">Steps T of every adding-problem sequence.</param>
/// <param name="HiddenSize">Hidden units H of the single recurrent layer.</param>
/// <param name="BatchSize">Sequences per training batch.</param>
/// <param name="TrainSteps">Training batches of each run.</param>
/// <param name="RecurrentGain">
/// W_hh is drawn from N(0, gain²/H), whose spectral radius is close to the gain for large H (the circular law);
/// above 1 a tanh RNN is chaotic and its gradients grow exponentially with the lag.
/// </param>
/// <param name="LearningRate">Plain SGD, where a large gradient becomes a large step (Adam would rescale it).</param>
/// <param name="ClipNorm">Global gradient-norm clipping of the clipped run.</param>
/// <param name="TestSequences">Held-out sequences each run is scored on at its end.</param>
/// <param name="Seed">Seeds the initial weights, the training batches and the held-out sequences.</param>
/// <param name="Threads">Threads for the matrix kernels.</param>
public sealed record ExplodingGradientOptions(
    CellKind Cell = CellKind.RnnTanh,
    int Length = 50,
    int HiddenSize = 32,
    int BatchSize = 32,
    int TrainSteps = 1000,
    float LearningRate = 0.1f,
    float RecurrentGain = 3f,
    double ClipNorm = 1.0,
    int TestSequences = 512,
    int Seed = 1,
    int Threads = 1)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that is out of range.</summary>
    public void Validate()
    {
        AddingProblemSetting.Validate(Length, HiddenSize, BatchSize, LearningRate, ClipNorm);
        SettingException.Require(TrainSteps > 0, "TrainSteps", $"TrainSteps must be positive, got {TrainSteps}.");
        SettingException.Require(RecurrentGain > 0f && !float.IsInfinity(RecurrentGain), "RecurrentGain", $"RecurrentGain must be positive, got {RecurrentGain}.");
        SettingException.Require(TestSequences > 0, "TestSequences", $"TestSequences must be positive, got {TestSequences}.");
        SettingException.Require(Threads >= 1, "Threads", $"Threads must be at least 1, got {Threads}.");
    }
}

/// <summary>One training run: the loss and the gradient norm before clipping at every step (NaN once the weights are no longer finite).</summary>
/// <param name="Name">The run's label: <see cref="ExplodingGradientExperiment.Unclipped"/> or a <see cref="ExplodingGradientExperiment.ClippedName"/>.</param>
/// <param name="Losses">The batch loss ½e² (batch mean) at every step [TrainSteps].</param>
/// <param name="GradientNorms">The global gradient norm before clipping at every step [TrainSteps].</param>
/// <param name="DivergedAtStep">The first step whose loss or gradient was not finite, or null.</param>
/// <param name="Score">The trained network's score on the held-out sequences.</param>
public sealed record ExplodingRun(string Name, double[] Losses, double[] GradientNorms, int? DivergedAtStep, RegressionScore Score);

/// <summary>One training step of a run of the exploding-gradient experiment, reported every 25 steps and at the last.</summary>
/// <param name="Run">The run's label, as in <see cref="ExplodingRun.Name"/>.</param>
/// <param name="Step">Training steps done in this run.</param>
/// <param name="TrainSteps">The run's planned steps.</param>
/// <param name="Loss">This step's batch loss ½e² (batch mean).</param>
/// <param name="GradientNorm">This step's global gradient norm before clipping.</param>
public sealed record ExplodingProgress(string Run, int Step, int TrainSteps, double Loss, double GradientNorm);

/// <summary>Both runs of the exploding-gradient experiment, unclipped and clipped, with CSV and charts of their curves.</summary>
/// <param name="Options">The settings both runs used.</param>
/// <param name="SpectralRadius">The spectral radius of the initial W_hh both runs start from (for gated cells the largest over its gate blocks).</param>
/// <param name="Runs">The unclipped run, then the clipped one.</param>
/// <param name="Elapsed">Wall-clock time of both runs and their tests.</param>
public sealed record ExplodingGradientResult(ExplodingGradientOptions Options, double SpectralRadius, IReadOnlyList<ExplodingRun> Runs, TimeSpan Elapsed)
{
    /// <summary>Steps averaged per point of the charts (the CSV has every step).</summary>
    public int ChartWindow => Math.Max(1, Options.TrainSteps / 100);

    /// <summary>step, run, loss, gradient_norm: one row per step and run.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder("step,run,loss,gradient_norm\n");
        foreach (var run in Runs)
            for (int i = 0; i < run.Losses.Length; i++)
                csv.Append(CultureInfo.InvariantCulture, $"{i + 1},{run.Name},{run.Losses[i]:G6},{run.GradientNorms[i]:G6}\n");
        return csv.ToString();
    }

    /// <summary>The batch loss of every run against the training step, log scale, averaged over <see cref="ChartWindow"/> steps.</summary>
    public SvgChart LossChart() => Chart("training loss ½e² (batch mean)", r => r.Losses, "Loss");

    /// <summary>The gradient norm before clipping of every run against the training step, log scale, averaged over <see cref="ChartWindow"/> steps.</summary>
    public SvgChart GradientNormChart() => Chart("global gradient norm before clipping", r => r.GradientNorms, "Gradient norm");

    private SvgChart Chart(string yTitle, Func<ExplodingRun, double[]> values, string what)
    {
        var o = Options;
        var chart = new SvgChart(FormattableString.Invariant($"{what}: {o.Cell.ToCliName()}, W_hh spectral radius {SpectralRadius:F2}, adding problem T = {o.Length}, SGD lr {o.LearningRate:G3}"),
            FormattableString.Invariant($"training step (mean of {ChartWindow})"), yTitle) { YScale = AxisScale.Log10 };
        foreach (var run in Runs)
        {
            var (steps, means) = WindowMeans(values(run), ChartWindow);
            chart.Add(run.Name, steps, means);
        }
        return chart;
    }

    // Means over consecutive windows, placed at each window's last step; a window holding a non-finite value is NaN.
    private static (double[] Steps, double[] Means) WindowMeans(double[] values, int window)
    {
        int n = (values.Length + window - 1) / window;
        var steps = new double[n];
        var means = new double[n];
        for (int w = 0; w < n; w++)
        {
            int from = w * window, to = Math.Min(values.Length, from + window);
            double sum = 0;
            for (int i = from; i < to; i++) sum += values[i];
            steps[w] = to;
            means[w] = sum / (to - from);
        }
        return (steps, means);
    }
}

/// <summary>
/// Exploding gradients, and what clipping does about them: a tanh RNN whose recurrent weights start with a spectral
/// radius well above 1 is trained twice on the adding problem from the same weights and the same batches, with plain
/// SGD — once as it is and once with the global gradient norm clipped (Pascanu, Mikolov &amp; Bengio 2013). Both runs
/// record the loss and the gradient norm at every step. Both train in memory through the one training loop
/// (<see cref="EndOfSequenceRegression.Train"/>) with its divergence stop off: the step whose loss or gradient is no
/// longer finite is taken and recorded, and the run ends after it.
/// </summary>
public static class ExplodingGradientExperiment
{
    /// <summary>The label of the run trained without clipping.</summary>
    public const string Unclipped = "no clipping";

    /// <summary>The label of the run clipped at <paramref name="clipNorm"/>, such as "clipped at 1".</summary>
    public static string ClippedName(double clipNorm) => $"clipped at {clipNorm.ToString("G3", CultureInfo.InvariantCulture)}";

    /// <summary>The unclipped run, then the clipped one, from the same weights and batches; each is tested at its end.</summary>
    public static ExplodingGradientResult Run(ExplodingGradientOptions options, Action<ExplodingProgress>? progress = null, CancellationToken cancel = default)
    {
        options.Validate();
        using var threads = Gemm.UseThreads(options.Threads); // the tests too, not only the training
        var started = System.Diagnostics.Stopwatch.StartNew();
        var testBatch = AddingProblemSetting.TestBatch(options.Length, options.Seed, options.TestSequences);
        double radius = LargestGateBlockRadius(RecurrentWeights(CreateNetwork(options)).Value);
        var runs = new List<ExplodingRun>();
        foreach (double? clip in new double?[] { null, options.ClipNorm })
            runs.Add(Train(CreateNetwork(options), options, clip, testBatch, progress, cancel));
        return new ExplodingGradientResult(options, radius, runs, started.Elapsed);
    }

    /// <summary>The network both runs start from: default init except W_hh ~ N(0, gain²/H).</summary>
    public static EndOfSequenceRegression CreateNetwork(ExplodingGradientOptions options)
    {
        var rng = new Rng((ulong)options.Seed);
        var network = new EndOfSequenceRegression(options.Cell, MarkedPairProblem.FeatureCount, options.HiddenSize, rng);
        var weightHh = RecurrentWeights(network);
        float std = options.RecurrentGain / MathF.Sqrt(options.HiddenSize);
        var w = weightHh.Value.Data;
        for (int i = 0; i < w.Length; i++) w[i] = std * (float)rng.NextGaussian();
        weightHh.MarkChanged();
        return network;
    }

    private static Parameter RecurrentWeights(EndOfSequenceRegression network) => network.Tagger.Rnn.Parameters().Single(p => p.Name == "weight_hh_l0");

    private static ExplodingRun Train(EndOfSequenceRegression network, ExplodingGradientOptions options, double? clip,
        SequenceRegressionBatch testBatch, Action<ExplodingProgress>? progress, CancellationToken cancel)
    {
        string name = clip is double c ? ClippedName(c) : Unclipped;
        var problem = new AddingProblem(options.Length, variableLength: false, seed: options.Seed); // the same batches for both runs
        var losses = new double[options.TrainSteps];
        var norms = new double[options.TrainSteps];
        Array.Fill(losses, double.NaN);
        Array.Fill(norms, double.NaN);
        var run = new TrainingRun
        {
            Optimizer = new OptimizerSettings("sgd", options.LearningRate),
            GradClip = clip ?? 0,
            StopOnDivergence = false, // the point is to watch it diverge
            Threads = options.Threads,
            PlannedSteps = options.TrainSteps,
            EvaluateAtEpochEnd = false,
        };
        // Once a step is not finite the weights are NaN for good: stop after it, the rest of the curve stays NaN.
        network.StopWhenDiverged = true;
        network.Train(() => problem.NextBatch(options.BatchSize), run, new SynchronousProgress<TrainingProgress>(p =>
        {
            int step = (int)p.Step;
            losses[step - 1] = p.BatchLoss;
            norms[step - 1] = p.GradientNorm;
            if (step % 25 == 0 || step == options.TrainSteps) progress?.Invoke(new ExplodingProgress(name, step, options.TrainSteps, p.BatchLoss, p.GradientNorm));
        }), cancel);
        return new ExplodingRun(name, losses, norms, (int?)network.DivergedAtStep, network.Score(testBatch));
    }

    /// <summary>
    /// The largest spectral radius among the H × H blocks of W_hh [G·H, H], one block per gate (G = 1 for the plain
    /// RNN, 3 for the GRU, 4 for the LSTM): each block is a recurrence of its own, so each has a radius.
    /// </summary>
    public static double LargestGateBlockRadius(Tensor weightHh)
    {
        int h = weightHh.Dim(1);
        if (weightHh.Rank != 2 || weightHh.Dim(0) % h != 0) throw new ArgumentException($"Expected W_hh of shape [G·H, H], got {weightHh}.");
        double largest = 0;
        for (int gate = 0; gate < weightHh.Dim(0) / h; gate++)
        {
            var block = Tensor.Zeros(h, h);
            Array.Copy(weightHh.Data, gate * h * h, block.Data, 0, h * h);
            largest = Math.Max(largest, SpectralRadius(block));
        }
        return largest;
    }

    /// <summary>The spectral radius of a square matrix [H, H]: its largest |eigenvalue|, computed exactly in double.</summary>
    public static double SpectralRadius(Tensor matrix)
    {
        int n = matrix.Dim(0);
        if (matrix.Rank != 2 || matrix.Dim(1) != n) throw new ArgumentException($"Expected a square matrix, got {matrix}.");
        var values = new double[n * n];
        for (int i = 0; i < values.Length; i++) values[i] = matrix.Data[i];
        return Carousel.LinearAlgebra.Eigenvalues.SpectralRadius(values, n);
    }
}
