using Carousel.Data.Tasks;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Experiments;

/// <param name="Strings">Reber strings streamed in total.</param>
/// <param name="UpdateEvery">Steps between weight updates (1: after every symbol, as Williams &amp; Zipser's online RTRL).</param>
/// <param name="ReportEvery">Strings per reported line.</param>
public sealed record OnlineReberOptions(
    CellKind Cell = CellKind.Lstm,
    int HiddenSize = 8,
    int Strings = 1000,
    float LearningRate = 1e-2f,
    int UpdateEvery = 1,
    int ReportEvery = 100,
    int Seed = 1);

/// <param name="Strings">Strings seen so far.</param>
/// <param name="MeanLoss">Mean sigmoid cross-entropy per step over the last <see cref="OnlineReberOptions.ReportEvery"/> strings.</param>
/// <param name="StringsRight">Share of those strings whose every step was predicted right (outputs above 0.5 exactly the legal next symbols), judged before each update.</param>
public sealed record OnlineReberProgress(int Strings, double MeanLoss, double StringsRight, double MicrosecondsPerStep);

/// <summary>
/// Reber-grammar next-symbol prediction learned online by real-time recurrent learning, the task on which Smith &amp;
/// Zipser (1989) showed RTRL learning a finite-state grammar: one string after another, a target (the set of legal
/// next symbols, 7 sigmoid outputs) at every step, the gradient of that step's loss available at that step and the
/// weights updated at once. Each prediction is scored before the update it causes, so the share of strings right
/// measures what the network knew, not what it has just been told.
/// </summary>
public static class OnlineReberExperiment
{
    public static IReadOnlyList<OnlineReberProgress> Run(OnlineReberOptions options, Action<OnlineReberProgress>? progress = null)
    {
        SettingException.Require(options.Strings > 0, "Strings", $"Strings must be positive, got {options.Strings}.");
        SettingException.Require(options.ReportEvery > 0, "ReportEvery", $"ReportEvery must be positive, got {options.ReportEvery}.");
        const int V = EmbeddedReberGrammar.SymbolCount;
        var rng = new Rng((ulong)options.Seed);
        var stack = new RecurrentStack(new RecurrentOptions(options.Cell, V, options.HiddenSize), rng);
        var learner = new RealTimeRecurrentLearner(stack, new Linear(options.HiddenSize, V, rng), OnlineLoss.SigmoidCrossEntropy)
        {
            UpdateEvery = options.UpdateEvery,
        };
        learner.Update = new WeightUpdate(new Adam(learner.NamedParameters(), options.LearningRate), [.. learner.NamedParameters().Select(p => p.Parameter)], gradClip: 0f);
        var grammar = new EmbeddedReberGrammar(options.Seed);
        var probabilities = new float[V];
        var reports = new List<OnlineReberProgress>();
        double lossSum = 0; int steps = 0, right = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int s = 1; s <= options.Strings; s++)
        {
            var sequence = EmbeddedReberGrammar.Encode([grammar.NextReberString()], embedded: false);
            learner.Reset();
            bool allRight = true;
            for (int t = 0; t < sequence.Lengths[0]; t++)
            {
                lossSum += learner.Step(sequence.Inputs.Slice(t), sequence.Targets.Slice(t));
                for (int v = 0; v < V; v++) probabilities[v] = SigmoidBinaryCrossEntropy.Sigmoid(learner.Output[v]);
                allRight &= LegalSets.StepCorrect(probabilities, sequence.Masks[t]);
                steps++;
            }
            if (allRight) right++;
            if (s % options.ReportEvery == 0 || s == options.Strings)
            {
                int n = (s - 1) % options.ReportEvery + 1;
                var report = new OnlineReberProgress(s, lossSum / steps, (double)right / n, clock.Elapsed.TotalMicroseconds / steps);
                reports.Add(report);
                progress?.Invoke(report);
                lossSum = 0; steps = 0; right = 0;
                clock.Restart();
            }
        }
        return reports;
    }
}
