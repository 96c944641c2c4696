using System.Text.Json.Nodes;
using Carousel.Data.Tasks;
using Carousel.Kernels;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;
using Carousel.Training;

namespace Carousel.Experiments;

/// <summary>Settings of the aⁿbⁿcⁿ comparison (Gers &amp; Schmidhuber 2001): which LSTM variants, how many seeds, network size and training budget.</summary>
/// <param name="Cells">The cells compared, each trained once per seed.</param>
/// <param name="Seeds">One run per seed and cell; a seed fixes the initial weights and the order of the training strings.</param>
/// <param name="HiddenSize">Memory cells (one per block). The paper used a handful of blocks; the counting needs very few.</param>
/// <param name="BatchSize">Strings per update; 1 is online learning, as in the paper.</param>
/// <param name="LearningRate">Adam's learning rate.</param>
/// <param name="TrainMax">Training strings are n = 1..TrainMax, each once per epoch in a fresh random order.</param>
/// <param name="TestMax">Generalisation is tested on n = 1..TestMax.</param>
/// <param name="MaxUpdates">Updates after which a run that has not learned the training range gives up.</param>
/// <param name="EvaluateEvery">Updates between checks of the training range; the run stops at the first check it passes.</param>
/// <param name="ExtraUpdates">
/// Updates to keep training after the training range is first learned, before testing (0: test at once, as the paper stops
/// training when the training set is learned). Shows whether further training widens or narrows the generalisation range.
/// </param>
/// <param name="ForgetGateBias">Initial forget-gate bias of the cells that have one (ignored by the LSTM without forget gate).</param>
/// <param name="Threads">Threads for the matrix kernels.</param>
public sealed record AnBnCnOptions(
    IReadOnlyList<CellKind> Cells,
    IReadOnlyList<int> Seeds,
    int HiddenSize = 4,
    int BatchSize = 1,
    float LearningRate = 1e-2f,
    int TrainMax = 10,
    int TestMax = 100,
    int MaxUpdates = 20000,
    int EvaluateEvery = 100,
    int ExtraUpdates = 0,
    float ForgetGateBias = 1f,
    int Threads = 1)
{
    /// <summary>The three LSTMs of the comparison: without forget gate (1997), with forget gate, with peepholes.</summary>
    public static IReadOnlyList<CellKind> LstmVariants { get; } = [CellKind.LstmNoForgetGate, CellKind.Lstm, CellKind.LstmPeephole];

    /// <summary>The three LSTM variants, seeds 1 to 3, and the defaults above.</summary>
    public AnBnCnOptions() : this(LstmVariants, [1, 2, 3]) { }
}

/// <summary>One check of the training range during an aⁿbⁿcⁿ run, reported as it happens.</summary>
/// <param name="Cell">The cell of the run.</param>
/// <param name="Seed">The seed of the run.</param>
/// <param name="Update">Updates done so far in this run.</param>
/// <param name="MaxUpdates">The run's budget of updates before it gives up.</param>
/// <param name="TrainLoss">Running training loss: a 0.95 moving average of the batch losses (binary cross-entropy, nats).</param>
/// <param name="TrainingStringsRight">Strings of n = 1..TrainMax predicted right at every step at this check.</param>
/// <param name="TrainMax">The largest n trained on, so the number of training strings.</param>
public sealed record AnBnCnProgress(CellKind Cell, int Seed, int Update, int MaxUpdates, double TrainLoss, int TrainingStringsRight, int TrainMax);

/// <summary>The outcome of one aⁿbⁿcⁿ run: whether and how fast the training range was learned, and how far the network generalises.</summary>
/// <param name="Cell">The cell of the run.</param>
/// <param name="Seed">The seed of the run.</param>
/// <param name="Learned">Whether every training string (n = 1..TrainMax) was predicted right at every step, at some check.</param>
/// <param name="UpdatesToLearn">Updates done at the first check that found the training range learned, or the whole budget.</param>
/// <param name="StringsSeen">Training strings presented, extra updates included.</param>
/// <param name="TrainLoss">Running training loss when training stopped: a 0.95 moving average of the batch losses (binary cross-entropy, nats).</param>
/// <param name="LearnedAtEnd">Whether the training range is still all right when testing (differs from Learned only with extra updates).</param>
/// <param name="Elapsed">Wall-clock time of the run, training and testing.</param>
/// <param name="Model">The trained network, as tested.</param>
/// <param name="GeneralisationMax">
/// The largest N ≤ TestMax such that every string with n = 1..N is predicted right at every step, measured when training stopped
/// (0 when n = 1 already fails). Equal to TestMax: at least that far.
/// </param>
public sealed record AnBnCnRun(CellKind Cell, int Seed, bool Learned, int UpdatesToLearn, int StringsSeen, double TrainLoss,
    bool LearnedAtEnd, int GeneralisationMax, TimeSpan Elapsed, SequenceTagger Model);

/// <summary>
/// The context-sensitive language aⁿbⁿcⁿ learned by LSTM variants (Gers &amp; Schmidhuber 2001): trained on n = 1..10 to
/// predict the set of legal next symbols (sigmoid outputs, binary cross-entropy; a step is right when exactly the legal
/// symbols have output above 0.5), then tested on n = 1..TestMax. Each string starts from a zero state. Training follows the
/// paper where it costs little: one layer of a few cells, one string per update, the training range in random order each
/// epoch; it differs where the paper's choice costs a lot of time: Adam instead of plain gradient descent with momentum (hundreds
/// of strings instead of tens of thousands), cross-entropy instead of squared error, gradient norm clipped at 5. What generalises
/// is a counter in the memory cells: up on a's, down on b's, and a second count for the c's; the network must stop
/// at exactly zero, n steps later, for n never seen in training. Each run trains in memory through the one training loop
/// (<see cref="Trainer{TBatch}"/>), extra updates included: one optimizer from the first update to the last.
/// </summary>
public static class AnBnCnExperiment
{
    /// <summary>One run per cell and seed, cell by cell.</summary>
    public static IReadOnlyList<AnBnCnRun> Run(AnBnCnOptions options, Action<AnBnCnProgress>? progress = null, CancellationToken cancel = default)
    {
        Validate(options);
        var runs = new List<AnBnCnRun>();
        foreach (var cell in options.Cells)
            foreach (int seed in options.Seeds)
            {
                if (cancel.IsCancellationRequested) return runs;
                runs.Add(RunOne(options, cell, seed, progress, cancel));
            }
        return runs;
    }

    /// <summary>Trains one network until it has learned n = 1..TrainMax (or the budget is spent), then measures how far it generalises.</summary>
    public static AnBnCnRun RunOne(AnBnCnOptions options, CellKind cell, int seed, Action<AnBnCnProgress>? progress = null, CancellationToken cancel = default)
    {
        Validate(options);
        using var threads = Gemm.UseThreads(options.Threads); // the checks after training too
        var started = System.Diagnostics.Stopwatch.StartNew();
        var language = new AnBnCn(seed);
        var trainingRange = language.Encode(AnBnCn.Range(1, options.TrainMax));
        var training = new OneRun(CreateModel(options, cell, seed), language, trainingRange, options);
        var run = new TrainingRun
        {
            Optimizer = new OptimizerSettings("adam", options.LearningRate),
            GradClip = 5,
            Threads = options.Threads,
            PlannedSteps = (long)options.MaxUpdates + options.ExtraUpdates, // at most; the run says when it is finished
            EvaluateAtEpochEnd = false, // the run asks for its checks (WantsEvaluation)
        };
        new Trainer<SymbolPredictionBatch>(training, run).Run(new SynchronousProgress<TrainingProgress>(p =>
        {
            if (p.Evaluation is { } e)
                progress?.Invoke(new AnBnCnProgress(cell, seed, (int)p.Step, options.MaxUpdates, training.RecentLoss,
                    e.Metrics["training_strings_right"]!.GetValue<int>(), options.TrainMax));
        }), cancel);
        var model = training.Tagger;
        bool learnedAtEnd = CountRight(model, trainingRange) == options.TrainMax;
        return new AnBnCnRun(cell, seed, training.UpdatesToLearn is not null, training.UpdatesToLearn ?? training.Updates, training.StringsSeen,
            training.RecentLoss, learnedAtEnd, GeneralisationMax(model, options.TestMax), started.Elapsed, model);
    }

    /// <summary>
    /// One run: every n of the training range once per epoch in a fresh order, the running loss (a 0.95 moving average of the
    /// batch losses), a check of the training range every <see cref="AnBnCnOptions.EvaluateEvery"/> updates and at
    /// <see cref="AnBnCnOptions.MaxUpdates"/> until one passes, then <see cref="AnBnCnOptions.ExtraUpdates"/> more updates
    /// without checks; finished when those are done or the budget is spent unlearned.
    /// </summary>
    private sealed class OneRun : SymbolPredictionTraining
    {
        private readonly AnBnCn _language;
        private readonly SymbolPredictionBatch _trainingRange;
        private readonly AnBnCnOptions _options;
        private int[] _epoch = [];
        private int _next;

        public OneRun(SequenceTagger model, AnBnCn language, SymbolPredictionBatch trainingRange, AnBnCnOptions options) : base(model)
        {
            _language = language;
            _trainingRange = trainingRange;
            _options = options;
            Batches = new GeneratedBatches<SymbolPredictionBatch>(NextBatch, (options.TrainMax + options.BatchSize - 1) / options.BatchSize);
        }

        public override IBatchSource<SymbolPredictionBatch> Batches { get; }

        /// <summary>Updates done.</summary>
        public int Updates { get; private set; }

        /// <summary>Training strings presented.</summary>
        public int StringsSeen { get; private set; }

        public double RecentLoss { get; private set; }

        /// <summary>The update at the check that found the training range learned; null before.</summary>
        public int? UpdatesToLearn { get; private set; }

        private SymbolPredictionBatch NextBatch()
        {
            if (_next == _epoch.Length) { _epoch = _language.Shuffled(1, _options.TrainMax); _next = 0; }
            int count = Math.Min(_options.BatchSize, _epoch.Length - _next);
            var batch = _language.Encode(new ArraySegment<int>(_epoch, _next, count));
            _next += count;
            StringsSeen += count;
            return batch;
        }

        public override BatchLoss TrainBatch(SymbolPredictionBatch batch)
        {
            var result = base.TrainBatch(batch);
            RecentLoss = Updates++ == 0 ? result.Loss : 0.95 * RecentLoss + 0.05 * result.Loss;
            return result;
        }

        public override bool WantsEvaluation(long step) =>
            UpdatesToLearn is null && (step % _options.EvaluateEvery == 0 || step == _options.MaxUpdates);

        /// <summary>The check of the training range while learning it; nothing to check during the extra updates.</summary>
        public override Evaluation? Evaluate()
        {
            if (UpdatesToLearn is not null) return null;
            int right = CountRight(Tagger, _trainingRange);
            if (right == _options.TrainMax) UpdatesToLearn = Updates;
            return new Evaluation
            {
                Metrics = new JsonObject { ["training_strings_right"] = right },
                Score = [right],
                Summary = $"training strings right {right}/{_options.TrainMax}",
            };
        }

        public override bool Finished => UpdatesToLearn is int learnedAt
            ? Updates >= learnedAt + _options.ExtraUpdates
            : Updates >= _options.MaxUpdates;
    }

    /// <summary>The network of one run before training: a single recurrent layer and a linear layer to one sigmoid output per symbol.</summary>
    public static SequenceTagger CreateModel(AnBnCnOptions options, CellKind cell, int seed)
    {
        var model = new SequenceTagger(new RecurrentOptions(cell, AnBnCn.SymbolCount, options.HiddenSize), AnBnCn.SymbolCount, new Rng((ulong)seed));
        if (cell.HasForgetGate() && options.ForgetGateBias != 0f) model.Rnn.InitializeForgetGateBias(options.ForgetGateBias);
        return model;
    }

    /// <summary>
    /// The largest N ≤ <paramref name="testMax"/> such that the strings n = 1..N are all predicted right at every step
    /// (0 if n = 1 is not). The strings run as one padded batch; each starts from a zero state.
    /// </summary>
    public static int GeneralisationMax(SequenceTagger model, int testMax)
    {
        var batch = new AnBnCn(0).Encode(AnBnCn.Range(1, testMax));
        var probabilities = Probabilities(model, batch);
        for (int row = 0; row < batch.BatchSize; row++)
            if (!batch.RowCorrect(probabilities, row)) return row;   // row r holds n = r + 1
        return testMax;
    }

    /// <summary>Number of the batch's strings predicted right at every step.</summary>
    public static int CountRight(SequenceTagger model, SymbolPredictionBatch batch) => batch.CountCorrect(Probabilities(model, batch));

    // [T, B, V] sigmoid outputs of the model, in evaluation mode.
    private static float[] Probabilities(SequenceTagger model, SymbolPredictionBatch batch)
    {
        model.Training = false;
        var logits = model.Forward(batch.Inputs, batch.Lengths);
        var probabilities = new float[logits.Length];
        for (int i = 0; i < probabilities.Length; i++) probabilities[i] = SigmoidBinaryCrossEntropy.Sigmoid(logits.Data[i]);
        return probabilities;
    }

    private static void Validate(AnBnCnOptions options)
    {
        SettingException.Require(options.Cells.Count > 0, "Cells", "Cells must name at least one cell.");
        SettingException.Require(options.Seeds.Count > 0, "Seeds", "Seeds must name at least one seed.");
        foreach (var cell in options.Cells)
            SettingException.Require(cell.HasCellState(), "Cells", $"The aⁿbⁿcⁿ comparison is between LSTM variants; {cell.ToCliName()} in Cells is not one.");
        RequirePositive(options.HiddenSize, "HiddenSize");
        RequirePositive(options.BatchSize, "BatchSize");
        RequirePositive(options.TrainMax, "TrainMax");
        SettingException.Require(options.TestMax >= options.TrainMax, "TestMax", $"TestMax ({options.TestMax}) must be at least TrainMax ({options.TrainMax}).", "TrainMax");
        RequirePositive(options.MaxUpdates, "MaxUpdates");
        RequirePositive(options.EvaluateEvery, "EvaluateEvery");
        RequirePositive(options.Threads, "Threads");
        SettingException.Require(options.ExtraUpdates >= 0, "ExtraUpdates", $"ExtraUpdates must not be negative, got {options.ExtraUpdates}.");
        SettingException.Require(options.LearningRate > 0f && float.IsFinite(options.LearningRate), "LearningRate", $"LearningRate must be positive, got {options.LearningRate}.");
    }

    private static void RequirePositive(int value, string setting)
    {
        SettingException.Require(value > 0, setting, $"{setting} must be positive, got {value}.");
    }
}
