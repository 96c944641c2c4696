using Carousel.Data.Series;
using Carousel.Diagnostics;
using Carousel.Models;

namespace Carousel.Experiments;

/// <summary>
/// ReservoirPy's quick-start protocol on Mackey-Glass: a series of <see cref="SeriesLength"/> samples (raw, not
/// normalised); the readout fitted one step ahead on the first <see cref="TrainLength"/> (inputs x[0..499], targets
/// x[1..500], from a zero state, the first <see cref="Washout"/> = 100 states dropped, the quick-start's warmup=100);
/// then the reservoir, state carried on, is run teacher-forced over x[501..T−2] and scored against x[502..T−1] (the quick-start's
/// <c>run(X[501:-1])</c> against <c>X[502:]</c>). The free run starts from the state after training, takes the last
/// training target x[500] as its first input and feeds back its own outputs; it is scored against x[501..].
/// </summary>
/// <param name="SeriesLength">Samples of the Mackey-Glass series generated, T.</param>
/// <param name="TrainLength">Samples the readout is fitted on (one step ahead), from the start of the series.</param>
/// <param name="Washout">Reservoir states dropped from the start of the training run before fitting.</param>
/// <param name="Tau">The series' delay τ (17 is mildly chaotic, 30 more so).</param>
/// <param name="SeriesSeed">Seeds the series' drawn history before t = 0.</param>
/// <param name="Tolerance">The free-run horizon counts steps until |error| first exceeds this many standard deviations of the test targets.</param>
public sealed record MackeyGlassProtocol(int SeriesLength = 2000, int TrainLength = 500, int Washout = 100, int Tau = 17, int SeriesSeed = 1, double Tolerance = 0.1);

/// <summary>The scores of one reservoir on Mackey-Glass: one step ahead teacher-forced, and free running on its own outputs.</summary>
/// <param name="ReservoirSeed">The seed that drew the reservoir.</param>
/// <param name="TeacherForced">One-step-ahead errors over the test part.</param>
/// <param name="FreeRun100">Free-run errors over its first 100 steps (NRMSE uses the test targets' spread).</param>
/// <param name="FreeRun500">Free-run errors over its first 500 steps.</param>
/// <param name="FreeRunHorizon">Free-run steps before the error first exceeds the tolerance.</param>
/// <param name="TestStart">Index in the series of the first teacher-forced target.</param>
/// <param name="Targets">x over the test part, from index <see cref="TestStart"/>.</param>
/// <param name="Predictions">The one-step-ahead predictions of <see cref="Targets"/>.</param>
/// <param name="FreeRunStart">Index in the series of the sample the free run's first output predicts.</param>
/// <param name="FreeRun">The free run, predicting x from index <see cref="FreeRunStart"/>.</param>
public sealed record MackeyGlassResult(int ReservoirSeed, RegressionMetrics TeacherForced, RegressionMetrics FreeRun100, RegressionMetrics FreeRun500,
    int FreeRunHorizon, int TestStart, double[] Targets, double[] Predictions, int FreeRunStart, double[] FreeRun);

/// <summary>The NARMA-10 protocol: fit the readout to predict y(t+1) from u(0..t) on a training run, then score a test run that follows it.</summary>
/// <param name="Washout">Steps of the training run dropped before fitting.</param>
/// <param name="TrainLength">Steps of the training run the readout is fitted on, after the washout.</param>
/// <param name="TestLength">Steps scored after training, state carried on.</param>
/// <param name="SeriesSeed">Seeds the random inputs u, uniform in [0, 0.5].</param>
public sealed record NarmaProtocol(int Washout = 200, int TrainLength = 2000, int TestLength = 2000, int SeriesSeed = 1);

/// <summary>The score of one reservoir on NARMA-10's test run, with the targets and predictions to plot.</summary>
/// <param name="ReservoirSeed">The seed that drew the reservoir.</param>
/// <param name="Test">Errors of the one-step-ahead predictions over the test run.</param>
/// <param name="TestStart">Index in y of the first test target.</param>
/// <param name="Targets">y over the test run, from index <see cref="TestStart"/>.</param>
/// <param name="Predictions">The network's predictions of <see cref="Targets"/>.</param>
public sealed record NarmaResult(int ReservoirSeed, RegressionMetrics Test, int TestStart, double[] Targets, double[] Predictions);

/// <summary>The echo state network benchmarks: Mackey-Glass (one step ahead and free running) and NARMA-10.</summary>
public static class EchoStateExperiments
{
    /// <summary>
    /// Reservoir settings for NARMA-10, chosen by a small search on seeds 1–5 of series seed 1: no leak (the system is
    /// driven step by step), spectral radius 0.9, every unit fed the input at ±0.1 and a bias of ±0.2,
    /// readout [1; u; x] with ridge 1e−8.
    /// </summary>
    public static readonly EchoStateOptions NarmaDefaults = new(Units: 100, SpectralRadius: 0.9, LeakRate: 1.0, InputScaling: 0.1, BiasScaling: 0.2,
        InputConnectivity: 1.0, Ridge: 1e-8, ReadoutSeesInput: true);

    /// <summary>Builds a reservoir from <paramref name="options"/>, fits and scores it on Mackey-Glass as <paramref name="protocol"/> says.</summary>
    public static MackeyGlassResult MackeyGlass(EchoStateOptions options, MackeyGlassProtocol protocol)
    {
        int T = protocol.SeriesLength, train = protocol.TrainLength;
        SettingException.Require(train >= 2, "TrainLength", $"TrainLength must be at least 2, got {train}.");
        SettingException.Require(T >= train + 3, "SeriesLength", $"SeriesLength ({T}) must exceed TrainLength ({train}) by at least 3 steps.", "TrainLength");
        SettingException.Require(protocol.Washout >= 0 && protocol.Washout < train, "Washout",
            $"Washout ({protocol.Washout}) must be ≥ 0 and shorter than TrainLength ({train}).", "TrainLength");
        SettingException.Require(protocol.Tolerance > 0, "Tolerance", $"Tolerance must be positive, got {protocol.Tolerance}.");
        var x = Data.Series.MackeyGlass.Generate(T, protocol.Tau, seed: protocol.SeriesSeed);
        var esn = new EchoStateNetwork(1, 1, options);
        esn.Fit(x.AsSpan(0, train), x.AsSpan(1, train), protocol.Washout);
        var trained = esn.State.ToArray();

        // Teacher forced, as the quick-start: inputs x[train+1 .. T−2], targets x[train+2 .. T−1].
        int testStart = train + 2;
        var targets = x[testStart..];
        var predictions = new double[targets.Length];
        esn.Run(x.AsSpan(train + 1, targets.Length), predictions);

        // Free running from the trained state: first input x[train], outputs predict x[train+1 ..].
        esn.SetState(trained);
        int freeStart = train + 1;
        var freeRun = new double[T - freeStart];
        esn.Generate(x.AsSpan(train, 1), freeRun);
        double std = StandardDeviation(targets);
        int horizon = 0;
        while (horizon < freeRun.Length && Math.Abs(freeRun[horizon] - x[freeStart + horizon]) <= protocol.Tolerance * std) horizon++;

        return new MackeyGlassResult(options.Seed, RegressionMetrics.Of(targets, predictions),
            FreeRunMetrics(x, freeStart, freeRun, 100, std), FreeRunMetrics(x, freeStart, freeRun, 500, std),
            horizon, testStart, targets, predictions, freeStart, freeRun);
    }

    /// <summary>Builds a reservoir from <paramref name="options"/>, fits and scores it on NARMA-10 as <paramref name="protocol"/> says.</summary>
    public static NarmaResult Narma10(EchoStateOptions options, NarmaProtocol protocol)
    {
        SettingException.Require(protocol.Washout >= 0, "Washout", $"Washout must be ≥ 0, got {protocol.Washout}.");
        SettingException.Require(protocol.TrainLength > 0, "TrainLength", $"TrainLength must be positive, got {protocol.TrainLength}.");
        SettingException.Require(protocol.TestLength > 0, "TestLength", $"TestLength must be positive, got {protocol.TestLength}.");
        int fitSteps = protocol.Washout + protocol.TrainLength;
        var (u, y) = Narma.Generate(fitSteps + protocol.TestLength, protocol.SeriesSeed);
        var esn = new EchoStateNetwork(1, 1, options);
        // Input u(t), target y(t+1).
        esn.Fit(u.AsSpan(0, fitSteps), y.AsSpan(1, fitSteps), protocol.Washout);
        var targets = y[(fitSteps + 1)..];
        var predictions = new double[targets.Length];
        esn.Run(u.AsSpan(fitSteps), predictions);
        return new NarmaResult(options.Seed, RegressionMetrics.Of(targets, predictions), fitSteps + 1, targets, predictions);
    }

    // Errors of the first `steps` free-run outputs; NRMSE normalised by the test targets' spread, not the window's.
    private static RegressionMetrics FreeRunMetrics(double[] x, int start, double[] freeRun, int steps, double std)
    {
        int n = Math.Min(steps, freeRun.Length);
        var m = RegressionMetrics.Of(x.AsSpan(start, n), freeRun.AsSpan(0, n));
        return m with { Nrmse = m.Rmse / std };
    }

    private static double StandardDeviation(ReadOnlySpan<double> values)
    {
        double mean = 0, sum = 0;
        foreach (double v in values) mean += v;
        mean /= values.Length;
        foreach (double v in values) sum += (v - mean) * (v - mean);
        return Math.Sqrt(sum / values.Length);
    }
}
