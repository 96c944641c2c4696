using System.Diagnostics;
using System.Text.Json.Nodes;
using Carousel.Data.Tasks;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Optimizers;
using Carousel.Tensors;
using Carousel.Training;

namespace Carousel.Experiments;

/// <summary>Settings of online Reber-grammar learning by RTRL: the network, the stream of strings, how often to update and to report.</summary>
/// <param name="Cell">The recurrent cell: lstm or rnn (tanh), the cells RTRL supports.</param>
/// <param name="HiddenSize">Hidden units of the single layer.</param>
/// <param name="Strings">Reber strings streamed in total.</param>
/// <param name="LearningRate">Adam's learning rate.</param>
/// <param name="UpdateEvery">Steps between weight updates (1: after every symbol, as Williams &amp; Zipser's online RTRL).</param>
/// <param name="ReportEvery">Strings per reported line.</param>
/// <param name="Seed">Fixes the initial weights and the strings.</param>
public sealed record OnlineReberOptions(
    CellKind Cell = CellKind.Lstm,
    int HiddenSize = 8,
    int Strings = 1000,
    float LearningRate = 1e-2f,
    int UpdateEvery = 1,
    int ReportEvery = 100,
    int Seed = 1);

/// <summary>One report of online Reber-grammar learning, every <see cref="OnlineReberOptions.ReportEvery"/> strings.</summary>
/// <param name="Strings">Strings seen so far.</param>
/// <param name="MeanLoss">Mean sigmoid cross-entropy per step over the last <see cref="OnlineReberOptions.ReportEvery"/> strings.</param>
/// <param name="StringsRight">Share of those strings whose every step was predicted right (outputs above 0.5 exactly the legal next symbols), judged before each update.</param>
/// <param name="MicrosecondsPerStep">Time per step (symbol) over those strings.</param>
public sealed record OnlineReberProgress(int Strings, double MeanLoss, double StringsRight, double MicrosecondsPerStep);

/// <summary>
/// Reber-grammar next-symbol prediction learned online by real-time recurrent learning, the task on which Smith &amp;
/// Zipser (1989) showed RTRL learning a finite-state grammar: one string after another, a target (the set of legal
/// next symbols, 7 sigmoid outputs) at every step, the gradient of that step's loss available at that step and the
/// weights updated at once. Each prediction is scored before the update it causes, so the share of strings right
/// measures what the network knew, not what it has just been told. It runs in memory through the one training loop
/// (<see cref="Trainer{TBatch}"/>): a batch is one string, the learner makes the updates itself (Adam, every
/// <see cref="OnlineReberOptions.UpdateEvery"/> steps, counted across strings), and each report is an evaluation of
/// those prequential scores.
/// </summary>
public static class OnlineReberExperiment
{
    /// <summary>Streams the strings and returns one report per <see cref="OnlineReberOptions.ReportEvery"/> strings (and one for the last).</summary>
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
        var training = new OnlineLearning(learner, new EmbeddedReberGrammar(options.Seed), options.Strings);
        var run = new TrainingRun
        {
            Optimizer = new OptimizerSettings("adam", options.LearningRate),
            PlannedSteps = options.Strings,
            EvaluateEvery = options.ReportEvery, // and the last string
            EvaluateAtEpochEnd = false,
        };
        var reports = new List<OnlineReberProgress>();
        new Trainer<SymbolPredictionBatch>(training, run).Run(new SynchronousProgress<TrainingProgress>(p =>
        {
            if (p.Evaluation is null) return;
            reports.Add(training.LastReport!);
            progress?.Invoke(training.LastReport!);
        }));
        return reports;
    }

    /// <summary>
    /// The online learner as the loop's model: each batch is one string run step by step from a zero state, the learner
    /// updating the weights as it goes; the loss, the strings right and the time are summed until the next report.
    /// </summary>
    private sealed class OnlineLearning : InMemoryTrainable<SymbolPredictionBatch>
    {
        private readonly RealTimeRecurrentLearner _learner;
        private readonly float[] _probabilities = new float[EmbeddedReberGrammar.SymbolCount];
        private readonly Stopwatch _clock = new();
        private double _lossSum;
        private int _steps, _right, _strings, _stringsInReport;

        public OnlineLearning(RealTimeRecurrentLearner learner, EmbeddedReberGrammar grammar, int strings)
        {
            _learner = learner;
            Batches = new GeneratedBatches<SymbolPredictionBatch>(() => EmbeddedReberGrammar.Encode([grammar.NextReberString()], embedded: false), strings);
        }

        public override IModule Model => _learner;

        public override IBatchSource<SymbolPredictionBatch> Batches { get; }

        /// <summary>The report made by the last evaluation.</summary>
        public OnlineReberProgress? LastReport { get; private set; }

        // Updates span strings (every UpdateEvery steps of the stream): what a string leaves unapplied belongs to the next update.
        public override bool KeepsGradientsBetweenBatches => true;

        public override void Attach(Optimizer optimizer, TrainingRun run) =>
            _learner.Update = new WeightUpdate(optimizer, [.. _learner.NamedParameters().Select(p => p.Parameter)], (float)run.GradClip);

        public override BatchLoss TrainBatch(SymbolPredictionBatch sequence)
        {
            _clock.Start();
            _learner.Reset();
            bool allRight = true;
            double loss = 0;
            int length = sequence.Lengths[0];
            for (int t = 0; t < length; t++)
            {
                double stepLoss = _learner.Step(sequence.Inputs.Slice(t), sequence.Targets.Slice(t));
                _lossSum += stepLoss;
                loss += stepLoss;
                for (int v = 0; v < _probabilities.Length; v++) _probabilities[v] = SigmoidBinaryCrossEntropy.Sigmoid(_learner.Output[v]);
                allRight &= LegalSets.StepCorrect(_probabilities, sequence.Masks[t]);
                _steps++;
            }
            if (allRight) _right++;
            _strings++;
            _stringsInReport++;
            return new BatchLoss(loss / length, length, WeightsUpdated: true);
        }

        /// <summary>The scores since the last report, each judged before the update it caused; then a new sum starts.</summary>
        public override Evaluation Evaluate()
        {
            var report = LastReport = new OnlineReberProgress(_strings, _lossSum / _steps, (double)_right / _stringsInReport,
                _clock.Elapsed.TotalMicroseconds / _steps);
            _lossSum = 0; _steps = 0; _right = 0; _stringsInReport = 0;
            _clock.Reset();
            return new Evaluation
            {
                Metrics = new JsonObject { ["mean_loss"] = report.MeanLoss, ["strings_right"] = report.StringsRight },
                Score = [report.StringsRight, -report.MeanLoss],
                Summary = $"loss/step {report.MeanLoss:F4}, strings right {report.StringsRight:P1}",
            };
        }
    }
}
