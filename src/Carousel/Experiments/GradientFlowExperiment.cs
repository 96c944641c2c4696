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

/// <summary>Settings of the gradient-flow experiment: the cells compared, the adding problem's length, Adam's budget and the measurement batch.</summary>
/// <param name="Cells">The cells to compare, each trained from its own fresh weights on the same batches.</param>
/// <remarks>
/// The defaults are where, measured on this project's machine, a 32-unit LSTM learns the adding problem within the budget
/// (seeds 1–5 at T = 50: ≥ 99.6 % of test sequences within 0.04) and a tanh RNN does not; with forget bias 1 the LSTM was still
/// on the plateau after 6000 batches at T = 50, and with bias 2 after 8000 at T = 100.
/// </remarks>
/// <param name="Length">T, the length of every sequence of the adding problem (fixed, so that lag T−1−t means the same for every row).</param>
/// <param name="HiddenSize">Hidden units of each cell's single recurrent layer.</param>
/// <param name="BatchSize">Sequences per training batch.</param>
/// <param name="TrainSteps">Training batches per cell (0: only the profile at initialisation).</param>
/// <param name="LearningRate">Adam's learning rate.</param>
/// <param name="MeasureBatch">Sequences over which the norms are averaged.</param>
/// <param name="TestSequences">Held-out sequences for the error after training.</param>
/// <param name="ClipNorm">Global gradient-norm clipping while training.</param>
/// <param name="ForgetGateBias">Initial forget-gate bias of the LSTMs that have one (ignored by other cells).</param>
/// <param name="Seed">Seeds the initial weights (the same for every cell), the training batches and the held-out sequences.</param>
/// <param name="Threads">Threads for the matrix kernels, while training and measuring.</param>
public sealed record GradientFlowOptions(
    IReadOnlyList<CellKind> Cells,
    int Length = 50,
    int HiddenSize = 32,
    int BatchSize = 32,
    int TrainSteps = 3000,
    float LearningRate = 3e-3f,
    double ClipNorm = 1.0,
    float ForgetGateBias = 2f,
    int MeasureBatch = 128,
    int TestSequences = 512,
    int Seed = 1,
    int Threads = 1)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first option that is out of range.</summary>
    public void Validate()
    {
        SettingException.Require(Cells.Count > 0, "Cells", "Cells must name at least one cell.");
        AddingProblemSetting.Validate(Length, HiddenSize, BatchSize, LearningRate, ClipNorm);
        SettingException.Require(TrainSteps >= 0, "TrainSteps", $"TrainSteps must be ≥ 0, got {TrainSteps}.");
        SettingException.Require(MeasureBatch > 0, "MeasureBatch", $"MeasureBatch must be positive, got {MeasureBatch}.");
        SettingException.Require(TestSequences > 0, "TestSequences", $"TestSequences must be positive, got {TestSequences}.");
        SettingException.Require(Threads >= 1, "Threads", $"Threads must be at least 1, got {Threads}.");
    }
}

/// <summary>Mean over a batch of ‖∂L_T/∂h_t‖ by lag T−1−t (index 0 = the last step), for one cell in one phase.</summary>
/// <param name="Cell">The cell measured.</param>
/// <param name="Phase">"init" or "trained".</param>
/// <param name="MeanNormByLag">The batch mean of ‖∂L_T/∂h_t‖ at lag T−1−t, index 0 the last step [T].</param>
/// <param name="Score">The error on the held-out sequences in this phase.</param>
public sealed record GradientFlowProfile(CellKind Cell, string Phase, double[] MeanNormByLag, RegressionScore Score)
{
    /// <summary>The norm at lag k relative to the norm at lag 0: how much of the error signal reaches k steps back.</summary>
    public double Relative(int lag) => MeanNormByLag[lag] / MeanNormByLag[0];
}

/// <summary>Training progress of one cell in the gradient-flow experiment, reported every 25 steps and at the last.</summary>
/// <param name="Cell">The cell being trained.</param>
/// <param name="Step">Training steps done for this cell.</param>
/// <param name="TrainSteps">The cell's planned training steps.</param>
/// <param name="RecentLoss">Running training loss ½e²: a 0.95 moving average of the batch losses.</param>
public sealed record GradientFlowProgress(CellKind Cell, int Step, int TrainSteps, double RecentLoss);

/// <summary>The gradient-flow profiles of every cell, at initialisation and after training, with CSV and chart.</summary>
/// <param name="Options">The settings of the experiment.</param>
/// <param name="Profiles">For each cell in order, its profile at initialisation, then after training when it was trained.</param>
/// <param name="Elapsed">Wall-clock time of the whole experiment.</param>
public sealed record GradientFlowResult(GradientFlowOptions Options, IReadOnlyList<GradientFlowProfile> Profiles, TimeSpan Elapsed)
{
    /// <summary>lag, cell, phase, mean_norm, relative_norm: one row per lag, cell and phase.</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder("lag,cell,phase,mean_norm,relative_norm\n");
        foreach (var p in Profiles)
            for (int lag = 0; lag < p.MeanNormByLag.Length; lag++)
                csv.Append(CultureInfo.InvariantCulture, $"{lag},{p.Cell.ToCliName()},{p.Phase},{p.MeanNormByLag[lag]:G6},{p.Relative(lag):G6}\n");
        return csv.ToString();
    }

    /// <summary>The relative norm against the lag on a log axis: one colour per cell, dashed at initialisation, solid after training.</summary>
    public SvgChart ToChart()
    {
        var chart = new SvgChart(FormattableString.Invariant($"Gradient flow through time: adding problem, T = {Options.Length}, {Options.HiddenSize} units"),
            "lag T − 1 − t (steps back from the loss)", "‖∂L_T/∂h_t‖ / ‖∂L_T/∂h_T−1‖ (batch mean)") { YScale = AxisScale.Log10 };
        var lags = Enumerable.Range(0, Options.Length).Select(l => (double)l).ToArray();
        foreach (var p in Profiles)
        {
            int colour = Options.Cells.ToList().IndexOf(p.Cell);
            var style = new SeriesStyle(SvgChart.Colors[colour % SvgChart.Colors.Count], p.Phase == GradientFlowExperiment.Initial ? SvgChart.Dashes[1] : SvgChart.Dashes[0]);
            chart.Add($"{p.Cell.ToCliName()}, {p.Phase}", lags, [.. lags.Select(l => p.Relative((int)l))], style);
        }
        return chart;
    }
}

/// <summary>
/// How much of the error at the last step reaches each earlier hidden state: the norm of ∂L_T/∂h_t against the lag
/// T−1−t, for each cell at initialisation and after training on the adding problem (Hochreiter &amp; Schmidhuber 1997,
/// experiment 4), L_T the squared error at the sequence end. A tanh RNN's gradient shrinks exponentially with the lag
/// (each step multiplies it by W_hhᵀ·diag(1 − h²)); an LSTM with forget bias about 1 carries it along its cell
/// (the constant error carousel). The norms come from <see cref="StateGradientRecorder"/> during ordinary BPTT.
/// Training runs in memory through the one training loop (<see cref="EndOfSequenceRegression.Train"/>): Adam, the
/// global gradient norm clipped, the same batches for every cell.
/// </summary>
public static class GradientFlowExperiment
{
    /// <summary>The <see cref="GradientFlowProfile.Phase"/> labels: at initialisation ("init") and after training ("trained").</summary>
    public const string Initial = "init", Trained = "trained";

    /// <summary>Profiles every cell at initialisation and, when <see cref="GradientFlowOptions.TrainSteps"/> &gt; 0, after training.</summary>
    public static GradientFlowResult Run(GradientFlowOptions options, Action<GradientFlowProgress>? progress = null, CancellationToken cancel = default)
    {
        options.Validate();
        using var threads = Gemm.UseThreads(options.Threads); // the measurements too, not only the training
        var started = System.Diagnostics.Stopwatch.StartNew();
        // One fixed batch for the measurement and one for testing, the same for every cell.
        var measureBatch = new AddingProblem(options.Length, variableLength: false, seed: options.Seed + 1_000_000).NextBatch(options.MeasureBatch);
        var testBatch = AddingProblemSetting.TestBatch(options.Length, options.Seed, options.TestSequences);
        var profiles = new List<GradientFlowProfile>();
        foreach (var cell in options.Cells)
        {
            var network = new EndOfSequenceRegression(cell, MarkedPairProblem.FeatureCount, options.HiddenSize, new Rng((ulong)options.Seed), options.ForgetGateBias);
            profiles.Add(Measure(network, cell, Initial, measureBatch, testBatch));
            if (options.TrainSteps == 0) continue;

            var problem = new AddingProblem(options.Length, variableLength: false, seed: options.Seed); // same batches for every cell
            var run = new TrainingRun
            {
                Optimizer = new OptimizerSettings("adam", options.LearningRate),
                GradClip = options.ClipNorm,
                Threads = options.Threads,
                PlannedSteps = options.TrainSteps,
                EvaluateAtEpochEnd = false,
            };
            double recent = 0;
            network.Train(() => problem.NextBatch(options.BatchSize), run, new SynchronousProgress<TrainingProgress>(p =>
            {
                recent = p.Step == 1 ? p.BatchLoss : 0.95 * recent + 0.05 * p.BatchLoss;
                if (p.Step % 25 == 0 || p.Step == options.TrainSteps) progress?.Invoke(new GradientFlowProgress(cell, (int)p.Step, options.TrainSteps, recent));
            }), cancel);
            profiles.Add(Measure(network, cell, Trained, measureBatch, testBatch));
        }
        return new GradientFlowResult(options, profiles, started.Elapsed);
    }

    /// <summary>
    /// The profile of one network: L = Σ_b ½e_b² at the sequence ends (summed, so each row's gradient is its own),
    /// one backward with the recorder attached, and the batch mean of ‖∂L/∂h_t‖ at each lag.
    /// </summary>
    public static GradientFlowProfile Measure(EndOfSequenceRegression network, CellKind cell, string phase,
        SequenceRegressionBatch measureBatch, SequenceRegressionBatch testBatch)
    {
        var recorder = new StateGradientRecorder();
        var rnn = network.Tagger.Rnn;
        rnn.StateGradients = recorder;
        try
        {
            network.Parameters.ZeroGrad();
            network.ForwardBackward(measureBatch, sumOverRows: true);
            network.Parameters.ZeroGrad(); // a measurement, not a training step
        }
        finally { rnn.StateGradients = null; }
        int steps = measureBatch.Steps;
        var byLag = new double[steps];
        for (int lag = 0; lag < steps; lag++) byLag[lag] = recorder.MeanOverBatch(steps - 1 - lag);
        return new GradientFlowProfile(cell, phase, byLag, network.Score(testBatch));
    }
}
