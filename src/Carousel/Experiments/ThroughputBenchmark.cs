using System.Diagnostics;
using Carousel.Kernels;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;
using Carousel.Training;

namespace Carousel.Experiments;

/// <summary>What <see cref="ThroughputBenchmark"/> measures: the model's sizes, the timed work and the threads.</summary>
/// <param name="Cell">The recurrent cell.</param>
/// <param name="Hidden">Hidden units per layer (also the embedding size).</param>
/// <param name="Layers">Stacked recurrent layers.</param>
/// <param name="Batch">Sequences per training batch.</param>
/// <param name="SeqLength">Steps per training sequence.</param>
/// <param name="Vocabulary">Symbols of the vocabulary (inputs and outputs).</param>
/// <param name="Steps">Timed training steps, after the warm-up.</param>
/// <param name="SampleTokens">Timed sampling tokens per round.</param>
/// <param name="WarmupSteps">Untimed training steps at least (and at least two seconds of them).</param>
/// <param name="Seed">Fixes the weights, the batch and the sampling.</param>
/// <param name="SampleRounds">Timed sampling rounds; the best counts.</param>
/// <param name="CompareSamplingPaths">Also time sampling through the general forward, rounds alternating.</param>
/// <param name="Threads">Threads for the matrix kernels and the time loops, while training and sampling.</param>
/// <param name="Inference">Also time forward-only inference (eval mode, logits of a [T, B] batch), best of the rounds.</param>
/// <param name="SamplingWeights">How the batch-1 sampling keeps the weights it streams per token.</param>
public sealed record ThroughputOptions(CellKind Cell = CellKind.Lstm, int Hidden = 512, int Layers = 2, int Batch = 32,
    int SeqLength = 100, int Vocabulary = 65, int Steps = 20, int SampleTokens = 500, int WarmupSteps = 3, ulong Seed = 0,
    int SampleRounds = 1, bool CompareSamplingPaths = false, int Threads = 1, bool Inference = false,
    WeightPrecision SamplingWeights = WeightPrecision.Float32);

/// <summary>What <see cref="ThroughputBenchmark"/> measured: training and sampling speed, arithmetic rate and peak memory.</summary>
/// <param name="TrainTokensPerSecond">Training tokens (T·B per step) per second over the timed steps of the loop.</param>
/// <param name="SampleTokensPerSecond">Batch-1 sampling tokens per second through the stepper, best of the rounds; NaN for
/// stacks the stepper does not run (clockwork, time-delay).</param>
/// <param name="TrainGigaflops">Training arithmetic rate in GFLOP/s, from <see cref="ThroughputBenchmark.TrainingFlopsPerToken"/>.</param>
/// <param name="PeakMemoryBytes">The process's peak working set at the end, in bytes.</param>
/// <param name="GeneralSampleTokensPerSecond">Sampling through the general forward (T = 1, B = 1), measured only
/// with <see cref="ThroughputOptions.CompareSamplingPaths"/> (else NaN).</param>
/// <param name="InferTokensPerSecond">Forward-only inference tokens (T·B per forward) per second, the best of the rounds of
/// <see cref="ThroughputOptions.Steps"/> forwards each; measured only with <see cref="ThroughputOptions.Inference"/> (else NaN).</param>
public sealed record ThroughputResult(double TrainTokensPerSecond, double SampleTokensPerSecond, double TrainGigaflops, long PeakMemoryBytes,
    double GeneralSampleTokensPerSecond = double.NaN, double InferTokensPerSecond = double.NaN);

/// <summary>
/// The measurement of ../shared/bench/torch_charlstm.py, done the same way: Embedding(V, H) → recurrent
/// stack → Linear(H, V), mean cross-entropy, Adam (lr 2e-3), gradient norm clipped to 5, on one fixed random
/// batch, trained in memory through the one training loop (<see cref="Trainer{TBatch}"/>), so its cost per step is
/// counted; training tokens/s over <see cref="ThroughputOptions.Steps"/> whole steps of the loop after warm-up, then batch-1
/// sampling tokens/s (softmax and a multinomial draw per token, through <see cref="CharModelStepper"/> as
/// `carousel sample` runs) after warm-up, the best of <see cref="ThroughputOptions.SampleRounds"/> rounds.
/// </summary>
public static class ThroughputBenchmark
{
    private const double MinimumWarmupSeconds = 2.0;

    /// <summary>Measures training, then sampling, on <see cref="ThroughputOptions.Threads"/> threads.</summary>
    public static ThroughputResult Run(ThroughputOptions o)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(o.Threads, nameof(o.Threads));
        ArgumentOutOfRangeException.ThrowIfNegative(o.Steps, nameof(o.Steps));
        using var threads = Gemm.UseThreads(o.Threads); // the sampling too
        SettingException.Require((long)o.SeqLength * o.Batch <= Array.MaxLength, "Batch",
            $"Batch × SeqLength ({o.Batch} × {o.SeqLength}) is more tokens per batch than an array can hold.", "SeqLength");
        var rng = new Rng(o.Seed);
        var model = new CharLanguageModel(new CharLanguageModelConfig(o.Vocabulary, o.Cell, o.Hidden, o.Layers), rng);
        int rows = o.SeqLength * o.Batch;
        var inputs = new int[rows];
        var targets = new int[rows];
        for (int i = 0; i < rows; i++) { inputs[i] = rng.NextInt(o.Vocabulary); targets[i] = rng.NextInt(o.Vocabulary); }

        var training = new FixedBatchTraining(model, inputs, targets, o.SeqLength, o.Batch);
        var run = new TrainingRun
        {
            Optimizer = new OptimizerSettings("adam", 2e-3f),
            GradClip = 5,
            Threads = o.Threads,
            PlannedSteps = long.MaxValue, // the timing below says when it is finished
            EvaluateAtEpochEnd = false,
        };
        var trainer = new Trainer<int>(training, run);
        // At least PyTorch's three warm-up steps, and long enough for the tiered JIT to reach its optimised code; then
        // the timed steps, each a whole step of the loop (the clock runs from the report of the last warm-up step to the
        // report of the last timed one).
        var warmup = new Stopwatch();
        var clock = new Stopwatch();
        long warmupSteps = -1;
        var timing = new SynchronousProgress<TrainingProgress>(p =>
        {
            if (warmupSteps < 0)
            {
                if (p.Step < o.WarmupSteps || warmup.Elapsed.TotalSeconds < MinimumWarmupSeconds) return;
                warmupSteps = p.Step;
                clock.Start();
            }
            if (p.Step - warmupSteps == o.Steps)
            {
                clock.Stop();
                training.Stop = true;
            }
        });
        warmup.Start();
        trainer.Run(timing);
        double trainSeconds = clock.Elapsed.TotalSeconds;

        model.Training = false;
        double trainTokens = (double)rows * o.Steps;
        if (!RecurrentStepper.Supports(model.Rnn.Options)) // clockwork and time-delay stacks: training only (no batch-1 stepper)
            return new ThroughputResult(trainTokens / trainSeconds, double.NaN, TrainingFlopsPerToken(o) * trainTokens / trainSeconds / 1e9,
                Process.GetCurrentProcess().PeakWorkingSet64, double.NaN, o.Inference ? MeasureInference(model, inputs, o) : double.NaN);
        var scratch = new float[o.Vocabulary];
        var sampling = new SamplingOptions();
        using var stepper = new CharModelStepper(model, precision: o.SamplingWeights);

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

        double inferTokensPerSecond = o.Inference ? MeasureInference(model, inputs, o) : double.NaN;

        return new ThroughputResult(trainTokens / trainSeconds, sampleTokensPerSecond,
            TrainingFlopsPerToken(o) * trainTokens / trainSeconds / 1e9, Process.GetCurrentProcess().PeakWorkingSet64, generalTokensPerSecond,
            inferTokensPerSecond);
    }

    // Forward-only inference of the whole [T, B] batch to its logits in eval mode, as ONNX Runtime's sequence graph runs it:
    // warm-up, then the best of the rounds of Steps forwards; tokens/s.
    private static double MeasureInference(CharLanguageModel model, int[] inputs, ThroughputOptions o)
    {
        model.Training = false;
        var warmup = Stopwatch.StartNew();
        while (warmup.Elapsed.TotalSeconds < MinimumWarmupSeconds / 2) model.Run(inputs, null, o.SeqLength, o.Batch);
        double best = 0;
        for (int round = 0; round < Math.Max(1, o.SampleRounds); round++)
        {
            var timer = Stopwatch.StartNew();
            for (int i = 0; i < Math.Max(1, o.Steps); i++) model.Run(inputs, null, o.SeqLength, o.Batch);
            best = Math.Max(best, (double)o.SeqLength * o.Batch * Math.Max(1, o.Steps) / timer.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>The benchmark's model on its one fixed batch (the batch source hands out its index, 0), until told to stop.</summary>
    private sealed class FixedBatchTraining : InMemoryTrainable<int>
    {
        private readonly CharLanguageModel _model;
        private readonly int[] _inputs, _targets;
        private readonly int _steps, _batch;

        public FixedBatchTraining(CharLanguageModel model, int[] inputs, int[] targets, int steps, int batch)
        {
            (_model, _inputs, _targets, _steps, _batch) = (model, inputs, targets, steps, batch);
            Batches = new GeneratedBatches<int>(() => 0, batchesPerEpoch: 1);
        }

        public override IModule Model => _model;

        public override IBatchSource<int> Batches { get; }

        /// <summary>Set to end the run after the step just taken.</summary>
        public bool Stop { get; set; }

        public override bool Finished => Stop;

        public override BatchLoss TrainBatch(int batch) =>
            new(_model.Run(_inputs, _targets, _steps, _batch, backward: true).Loss, _inputs.Length);
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
