using System.Diagnostics;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Experiments;

public sealed record ThroughputOptions(CellKind Cell = CellKind.Lstm, int Hidden = 512, int Layers = 2, int Batch = 32,
    int SeqLength = 100, int Vocabulary = 65, int Steps = 20, int SampleTokens = 500, int WarmupSteps = 3, ulong Seed = 0,
    int SampleRounds = 1, bool CompareSamplingPaths = false);

/// <param name="GeneralSampleTokensPerSecond">Sampling through the general forward (T = 1, B = 1), measured only
/// with <see cref="ThroughputOptions.CompareSamplingPaths"/> (else NaN).</param>
public sealed record ThroughputResult(double TrainTokensPerSecond, double SampleTokensPerSecond, double TrainGigaflops, long PeakMemoryBytes,
    double GeneralSampleTokensPerSecond = double.NaN);

/// <summary>
/// The measurement of ../shared/bench/torch_charlstm.py, done the same way: Embedding(V, H) → recurrent
/// stack → Linear(H, V), mean cross-entropy, Adam (lr 2e-3), gradient norm clipped to 5, on one fixed random
/// batch; training tokens/s over <see cref="ThroughputOptions.Steps"/> steps after warm-up, then batch-1
/// sampling tokens/s (softmax and a multinomial draw per token, through <see cref="CharModelStepper"/> as
/// `carousel sample` runs) after warm-up, the best of <see cref="ThroughputOptions.SampleRounds"/> rounds.
/// </summary>
public static class ThroughputBenchmark
{
    private const double MinimumWarmupSeconds = 2.0;

    public static ThroughputResult Run(ThroughputOptions o)
    {
        SettingException.Require((long)o.SeqLength * o.Batch <= Array.MaxLength, "Batch",
            $"Batch × SeqLength ({o.Batch} × {o.SeqLength}) is more tokens per batch than an array can hold.", "SeqLength");
        var rng = new Rng(o.Seed);
        var model = new CharLanguageModel(new CharLanguageModelConfig(o.Vocabulary, o.Cell, o.Hidden, o.Layers), rng);
        var parameters = model.NamedParameters();
        var optimizer = new Adam(parameters, 2e-3f);
        var raw = parameters.Select(p => p.Parameter).ToArray();
        int rows = o.SeqLength * o.Batch;
        var inputs = new int[rows];
        var targets = new int[rows];
        for (int i = 0; i < rows; i++) { inputs[i] = rng.NextInt(o.Vocabulary); targets[i] = rng.NextInt(o.Vocabulary); }

        void TrainStep()
        {
            optimizer.ZeroGrad();
            model.Run(inputs, targets, o.SeqLength, o.Batch, backward: true);
            GradientClipping.ClipByGlobalNorm(raw, 5.0);
            optimizer.Step();
        }
        // At least PyTorch's three warm-up steps, and long enough for the tiered JIT to reach its optimised code.
        var warmup = Stopwatch.StartNew();
        for (int i = 0; i < o.WarmupSteps || warmup.Elapsed.TotalSeconds < MinimumWarmupSeconds; i++) TrainStep();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < o.Steps; i++) TrainStep();
        double trainSeconds = clock.Elapsed.TotalSeconds;

        model.Training = false;
        var scratch = new float[o.Vocabulary];
        var sampling = new SamplingOptions();
        using var stepper = new CharModelStepper(model);

        // The batch-1 sampling loop, through the stepper or (for A/B) the general forward; returns tokens/s.
        double Sample(bool general, ulong seed, int tokens)
        {
            var sampleRng = new Rng(seed);
            RecurrentState? state = null;
            var token = new int[1];
            var timer = new Stopwatch();
            stepper.Reset();
            // 20 untimed tokens first, so that the stepper's helper thread, parked during the other path's rounds, is awake.
            for (int i = -20; i < tokens; i++)
            {
                if (i == 0) timer.Restart();
                ReadOnlySpan<float> logits;
                if (general)
                {
                    (_, state) = model.Run(token, null, 1, 1, state);
                    logits = model.Logits;
                }
                else logits = stepper.Step(token[0]);
                token[0] = CharSampler.Choose(logits, sampling, sampleRng, scratch);
            }
            return tokens / timer.Elapsed.TotalSeconds;
        }
        // Warm-up (tiered JIT), then the best of the rounds; with both paths the rounds alternate between them.
        warmup.Restart();
        while (warmup.Elapsed.TotalSeconds < MinimumWarmupSeconds / 2)
        {
            Sample(false, o.Seed, 20);
            if (o.CompareSamplingPaths) Sample(true, o.Seed, 20);
        }
        double sampleTokensPerSecond = 0, generalTokensPerSecond = double.NaN;
        for (int round = 0; round < Math.Max(1, o.SampleRounds); round++)
        {
            if (o.CompareSamplingPaths) generalTokensPerSecond = Math.Max(double.IsNaN(generalTokensPerSecond) ? 0 : generalTokensPerSecond, Sample(true, o.Seed + 1, o.SampleTokens));
            sampleTokensPerSecond = Math.Max(sampleTokensPerSecond, Sample(false, o.Seed + 1, o.SampleTokens));
        }

        double trainTokens = (double)rows * o.Steps;
        return new ThroughputResult(trainTokens / trainSeconds, sampleTokensPerSecond,
            TrainingFlopsPerToken(o) * trainTokens / trainSeconds / 1e9, Process.GetCurrentProcess().PeakWorkingSet64, generalTokensPerSecond);
    }

    /// <summary>
    /// Multiply-add work of one training token: forward 2·G·H·(In + H) per layer plus the output layer 2·H·V,
    /// and backward twice that (input and weight gradients).
    /// </summary>
    public static double TrainingFlopsPerToken(ThroughputOptions o)
    {
        int G = o.Cell.GateCount(), H = o.Hidden;
        double forward = 0;
        for (int k = 0; k < o.Layers; k++) forward += 2.0 * G * H * (H + H); // embedding size = H
        forward += 2.0 * H * o.Vocabulary;
        return 3 * forward;
    }
}
