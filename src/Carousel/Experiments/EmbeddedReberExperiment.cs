using System.Text.Json.Nodes;
using Carousel.Data.Tasks;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;
using Carousel.Training;

namespace Carousel.Experiments;

/// <summary>Settings of the embedded Reber experiment: the network, Adam's rate, the training budget and the held-out test strings.</summary>
/// <param name="Cell">The recurrent cell of the single layer.</param>
/// <param name="HiddenSize">Units of the recurrent layer (memory cells for an LSTM).</param>
/// <param name="BatchSize">Training strings per batch.</param>
/// <param name="LearningRate">Adam's initial learning rate, decayed over each trial to 5 % of it.</param>
/// <param name="MaxSteps">Total training batches over all trials; the run gives up after them.</param>
/// <param name="TrialSteps">
/// Batches per trial. A trial that has not learned the grammar by then is abandoned and a new one starts from
/// fresh weights (the 1997 paper likewise reports the share of successful trials). Learning trials mostly get
/// there within 1000 batches; the ones that do not usually stay stuck on a few held-out strings.
/// </param>
/// <param name="EvaluateEvery">Batches between checks of the held-out strings; the run stops at the first check they all pass.</param>
/// <param name="TestStrings">Distinct held-out strings that must all be predicted right.</param>
/// <param name="HeldOutFraction">
/// Share of the string space (by <see cref="HeldOutSplit"/>) kept for testing and never trained on. The 256 test
/// strings are drawn from it. The larger it is, the more short test strings have prefixes training never shows
/// (the only string starting BTBTXS is BTBTXSETE): with a half, about 70 % of trials learn; with a quarter, about 95 %.
/// </param>
/// <param name="ForgetGateBias">Initial forget-gate bias of the cells that have one (ignored by the others).</param>
/// <param name="Seed">Seeds the grammar's draws, the held-out split and the initial weights of every trial.</param>
public sealed record EmbeddedReberOptions(
    CellKind Cell = CellKind.Lstm,
    int HiddenSize = 32,
    int BatchSize = 32,
    float LearningRate = 1e-2f,
    int MaxSteps = 6000,
    int TrialSteps = 1500,
    int EvaluateEvery = 50,
    int TestStrings = 256,
    double HeldOutFraction = 0.25,
    float ForgetGateBias = 1f,
    int Seed = 1);

/// <summary>One check of the held-out strings during the embedded Reber experiment, reported as it happens.</summary>
/// <param name="Step">Batches trained so far over all trials.</param>
/// <param name="MaxSteps">The budget of batches over all trials.</param>
/// <param name="Trial">1-based number of the current trial.</param>
/// <param name="TrainLoss">Running mean of the current trial's batch loss.</param>
/// <param name="TestShare">Share of the held-out strings predicted right at every step (0 to 1).</param>
/// <param name="TrainingStrings">Training strings drawn so far over all trials.</param>
public sealed record EmbeddedReberProgress(int Step, int MaxSteps, int Trial, double TrainLoss, double TestShare, int TrainingStrings);

/// <summary>The outcome of the embedded Reber experiment: whether the grammar was learned, and what it cost.</summary>
/// <param name="Steps">Batches trained over all trials.</param>
/// <param name="Trials">Trials started, the last one included.</param>
/// <param name="TrainingStrings">Training strings drawn over all trials.</param>
/// <param name="TestShare">Share of the held-out strings predicted right at every step at the last check (0 to 1).</param>
/// <param name="Learned">Whether every held-out string was predicted right.</param>
/// <param name="Elapsed">Wall-clock time of the whole experiment.</param>
public sealed record EmbeddedReberResult(int Steps, int Trials, int TrainingStrings, double TestShare, bool Learned, TimeSpan Elapsed);

/// <summary>
/// Next-symbol prediction on the embedded Reber grammar (Hochreiter &amp; Schmidhuber 1997, experiment 1):
/// 7 sigmoid outputs trained with binary cross-entropy towards the set of legal next symbols.
/// A string counts as right when at every step exactly the legal symbols have output above 0.5;
/// the grammar is learned when every held-out test string is right. The test strings come from the held-out
/// side of a <see cref="HeldOutSplit"/> and are never trained on; training strings are fresh draws from the other side.
/// The hard part is the long lag: the second symbol (T or P) must be remembered until the second to last.
/// Each trial trains in memory through the one training loop (<see cref="Trainer{TBatch}"/>): Adam with a cosine decay over
/// the trial to 5 % of the rate, the global gradient norm clipped at 5, the held-out strings checked every
/// <see cref="EmbeddedReberOptions.EvaluateEvery"/> batches and at the trial's end, stopping at the first check they all pass.
/// </summary>
public static class EmbeddedReberExperiment
{
    /// <summary>Trains trial after trial, each from fresh weights, until the held-out strings are all right or the budget is spent.</summary>
    public static EmbeddedReberResult Run(EmbeddedReberOptions options, Action<EmbeddedReberProgress>? progress = null, CancellationToken cancel = default)
    {
        Validate(options);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var grammar = new EmbeddedReberGrammar(options.Seed);
        var split = new HeldOutSplit(options.HeldOutFraction, options.Seed);
        var testBatch = EmbeddedReberGrammar.Encode(grammar.NextDistinctStrings(options.TestStrings, split.IsHeldOut));
        // Each trial draws its initial weights from here, so trial 1 of seed N is the same network every time.
        var weightsRng = new Rng((ulong)options.Seed);

        int step = 0, trial = 0, trainingStrings = 0;
        double share = 0;
        while (share < 1.0 && step < options.MaxSteps && !cancel.IsCancellationRequested)
        {
            trial++;
            int trialSteps = Math.Min(options.TrialSteps, options.MaxSteps - step);
            var training = new Trial(CreateModel(options, weightsRng), grammar, split, testBatch, options.BatchSize, trialSteps);
            var run = new TrainingRun
            {
                Optimizer = new OptimizerSettings("adam", options.LearningRate),
                // Decaying the rate over the trial lets the outputs settle precisely on the legal sets instead of hovering near 0.5.
                // Planned for a full trial even when the budget cuts it short, so a short run is the start of a long one.
                Schedule = new LearningRateSchedule.Cosine(options.TrialSteps, MinimumFraction: 0.05f),
                GradClip = 5,
                PlannedSteps = trialSteps,
                EvaluateEvery = options.EvaluateEvery, // and at the trial's last step
                EvaluateAtEpochEnd = false,
            };
            int stepsBefore = step, stringsBefore = trainingStrings, trialNumber = trial;
            var summary = new Trainer<SymbolPredictionBatch>(training, run).Run(new SynchronousProgress<TrainingProgress>(p =>
            {
                if (p.Evaluation is not null)
                    progress?.Invoke(new EmbeddedReberProgress(stepsBefore + (int)p.Step, options.MaxSteps, trialNumber, training.RecentLoss,
                        training.Share, stringsBefore + training.Strings));
            }), cancel);
            step += (int)summary.Step;
            trainingStrings += training.Strings;
            share = training.Share;
        }
        return new EmbeddedReberResult(step, trial, trainingStrings, share, share >= 1.0, started.Elapsed);
    }

    /// <summary>Share of the batch's strings predicted right at every step.</summary>
    public static double Evaluate(SequenceTagger model, SymbolPredictionBatch batch)
    {
        model.Training = false;
        var logits = model.Forward(batch.Inputs, batch.Lengths);
        var probabilities = new float[logits.Length];
        for (int i = 0; i < probabilities.Length; i++) probabilities[i] = SigmoidBinaryCrossEntropy.Sigmoid(logits.Data[i]);
        return (double)batch.CountCorrect(probabilities) / batch.BatchSize;
    }

    private static void Validate(EmbeddedReberOptions options)
    {
        RequirePositive(options.HiddenSize, "HiddenSize");
        RequirePositive(options.BatchSize, "BatchSize");
        RequirePositive(options.MaxSteps, "MaxSteps");
        RequirePositive(options.TrialSteps, "TrialSteps");
        RequirePositive(options.EvaluateEvery, "EvaluateEvery");
        RequirePositive(options.TestStrings, "TestStrings");
        SettingException.Require(options.LearningRate > 0f && float.IsFinite(options.LearningRate), "LearningRate", $"LearningRate must be positive, got {options.LearningRate}.");
    }

    private static void RequirePositive(int value, string setting)
    {
        SettingException.Require(value > 0, setting, $"{setting} must be positive, got {value}.");
    }

    private static SequenceTagger CreateModel(EmbeddedReberOptions options, Rng rng)
    {
        const int symbols = EmbeddedReberGrammar.SymbolCount;
        var model = new SequenceTagger(new RecurrentOptions(options.Cell, symbols, options.HiddenSize), symbols, rng);
        if (options.Cell.HasForgetGate() && options.ForgetGateBias != 0f) model.Rnn.InitializeForgetGateBias(options.ForgetGateBias);
        return model;
    }

    /// <summary>
    /// One trial: fresh training strings from the training side of the split, the running loss (a 0.9 moving average of the
    /// batch losses), and the share of held-out strings right at each check; done when they all are.
    /// </summary>
    private sealed class Trial : SymbolPredictionTraining
    {
        private readonly SymbolPredictionBatch _testBatch;
        private int _steps;

        public Trial(SequenceTagger model, EmbeddedReberGrammar grammar, HeldOutSplit split, SymbolPredictionBatch testBatch, int batchSize, int trialSteps)
            : base(model)
        {
            _testBatch = testBatch;
            Batches = new GeneratedBatches<SymbolPredictionBatch>(() =>
            {
                var strings = new string[batchSize];
                for (int b = 0; b < strings.Length; b++) strings[b] = grammar.NextString(split.IsForTraining);
                Strings += strings.Length;
                return EmbeddedReberGrammar.Encode(strings);
            }, trialSteps);
        }

        public override IBatchSource<SymbolPredictionBatch> Batches { get; }

        /// <summary>Training strings drawn in this trial.</summary>
        public int Strings { get; private set; }

        public double RecentLoss { get; private set; }

        /// <summary>The share of held-out strings right at the last check (0 before the first).</summary>
        public double Share { get; private set; }

        public override BatchLoss TrainBatch(SymbolPredictionBatch batch)
        {
            var result = base.TrainBatch(batch);
            RecentLoss = _steps++ == 0 ? result.Loss : 0.9 * RecentLoss + 0.1 * result.Loss;
            return result;
        }

        public override Evaluation Evaluate()
        {
            Share = EmbeddedReberExperiment.Evaluate(Tagger, _testBatch);
            return new Evaluation
            {
                Metrics = new JsonObject { ["test_share"] = Share },
                Score = [Share],
                Summary = $"held-out strings right {Share:P1}",
                Done = Share >= 1.0,
            };
        }
    }
}
