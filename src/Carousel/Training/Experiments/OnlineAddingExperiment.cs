using Carousel.Data.Tasks;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training.Experiments;

/// <param name="Length">T, the length of every sequence (fixed; at least 22).</param>
/// <param name="Sequences">Sequences streamed in total; one loss, at the sequence's last step, each.</param>
/// <param name="UpdateEvery">Losses between optimizer updates (1: the weights change after every sequence).</param>
/// <param name="ReportEvery">Sequences per reported mean loss.</param>
public sealed record OnlineAddingOptions(
    CellKind Cell = CellKind.Lstm,
    int HiddenSize = 8,
    int Length = 22,
    int Sequences = 10_000,
    float LearningRate = 3e-3f,
    int UpdateEvery = 1,
    int ReportEvery = 1000,
    int Seed = 1);

/// <param name="Sequences">Sequences seen so far.</param>
/// <param name="MeanLoss">Mean ½e² at the sequence end over the last <see cref="OnlineAddingOptions.ReportEvery"/> sequences.</param>
/// <param name="Accuracy">Share of those sequences with |output − target| &lt; 0.04 (the 1997 paper's criterion).</param>
public sealed record OnlineAddingProgress(int Sequences, double MeanLoss, double Accuracy, double MicrosecondsPerStep);

/// <summary>
/// The adding problem learned online by real-time recurrent learning: one sequence after another, the gradient of
/// the loss at each sequence's end available at that step (no stored past), Adam updating the weights right away.
/// A baseline that always answers 0.5 has mean ½e² ≈ 0.0208 (½·E[(X1 + X2)²]/16 with X uniform in [−1, 1]).
/// </summary>
public static class OnlineAddingExperiment
{
    /// <summary>Mean ½e² of always answering 0.5: X1, X2 uniform in [−1, 1] (variance 1/3 each), e = (X1 + X2)/4, so ½E[e²] = ½·(2/3)/16 = 1/48.</summary>
    public const double ConstantPredictorLoss = 1.0 / 48;

    public static IReadOnlyList<OnlineAddingProgress> Run(OnlineAddingOptions options, Action<OnlineAddingProgress>? progress = null)
    {
        if (options.Sequences <= 0 || options.ReportEvery <= 0) throw new ArgumentException("Sequences and the report interval must be positive.");
        var rng = new Rng((ulong)options.Seed);
        var stack = new RecurrentStack(new RecurrentOptions(options.Cell, MarkedPairProblem.FeatureCount, options.HiddenSize), rng);
        var learner = new RealTimeRecurrentLearner(stack, new Linear(options.HiddenSize, 1, rng)) { UpdateEvery = options.UpdateEvery };
        learner.Optimizer = new Adam(learner.NamedParameters(), options.LearningRate);
        var task = new AddingProblem(options.Length, variableLength: false, seed: options.Seed);
        var target = new float[1];
        var reports = new List<OnlineAddingProgress>();
        double lossSum = 0; int correct = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int s = 1; s <= options.Sequences; s++)
        {
            var sequence = task.NextBatch(1);
            target[0] = sequence.Targets.Data[0];
            learner.Reset();
            for (int t = 0; t < options.Length; t++)
                lossSum += learner.Step(sequence.Inputs.Slice(t), t == options.Length - 1 ? target : default);
            if (MarkedPairProblem.IsCorrect(learner.Output[0], target[0])) correct++;
            if (s % options.ReportEvery == 0 || s == options.Sequences)
            {
                int n = (s - 1) % options.ReportEvery + 1;
                var report = new OnlineAddingProgress(s, lossSum / n, (double)correct / n,
                    clock.Elapsed.TotalMicroseconds / ((double)n * options.Length));
                reports.Add(report);
                progress?.Invoke(report);
                lossSum = 0; correct = 0;
                clock.Restart();
            }
        }
        return reports;
    }
}
