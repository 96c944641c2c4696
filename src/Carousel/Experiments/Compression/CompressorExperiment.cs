using Carousel.Data.Tasks;
using Carousel.Experiments.Tasks;
using Carousel.Layers.Recurrent;

namespace Carousel.Experiments.Compression;

/// <summary>Settings of <see cref="CompressorExperiment"/>: the sequences, the two nets and the budgets.</summary>
public sealed record CompressorOptions
{
    /// <summary>n, the predictable symbols between the first and the last.</summary>
    public int Middle { get; init; } = 50;
    /// <summary>The cell of the automatizer, the chunker and the single net they are compared with (tanh RNN, as in 1992).</summary>
    public CellKind Cell { get; init; } = CellKind.RnnTanh;
    /// <summary>Hidden units of each net.</summary>
    public int Hidden { get; init; } = 16;
    /// <summary>Training sequences for the automatizer (stage 1).</summary>
    public long AutomatizerSequences { get; init; } = 4_000;
    /// <summary>Training sequences for the chunker (stage 2, each compressed by the trained automatizer).</summary>
    public long ChunkerSequences { get; init; } = 4_000;
    /// <summary>Sequences per optimizer step.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Adam's learning rate for every net.</summary>
    public float LearningRate { get; init; } = 1e-2f;
    /// <summary>Fresh sequences the three are judged on.</summary>
    public int TestSequences { get; init; } = 1000;
    /// <summary>Seeds the weights and the training sequences; the test sequences come from seed + <see cref="TaskCatalog.TestSeedOffset"/>.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>Threads for the matrix kernels.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Throws a <see cref="SettingException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        SettingException.Require(Middle >= 1, nameof(Middle), $"Middle must be at least 1, got {Middle}.");
        SettingException.Require(Hidden >= 1, nameof(Hidden), $"Hidden must be at least 1, got {Hidden}.");
        SettingException.Require(AutomatizerSequences >= 1, nameof(AutomatizerSequences), $"AutomatizerSequences must be at least 1, got {AutomatizerSequences}.");
        SettingException.Require(ChunkerSequences >= 1, nameof(ChunkerSequences), $"ChunkerSequences must be at least 1, got {ChunkerSequences}.");
        SettingException.Require(BatchSize >= 1, nameof(BatchSize), $"BatchSize must be at least 1, got {BatchSize}.");
        SettingException.Require(float.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), $"LearningRate must be a positive number, got {LearningRate}.");
        SettingException.Require(TestSequences >= 1, nameof(TestSequences), $"TestSequences must be at least 1, got {TestSequences}.");
        SettingException.Require(Threads >= 1, nameof(Threads), $"Threads must be at least 1, got {Threads}.");
    }
}

/// <summary>One seed of the comparison.</summary>
/// <param name="Seed">The seed.</param>
/// <param name="CompressorRight">Share of test sequences whose last symbol the compressor predicts.</param>
/// <param name="SingleNetRight">Share whose last symbol is the single net's most active output at the step before it.</param>
/// <param name="SingleNetClassRight">Share where the single net at least rates the right one of b and d above the other.</param>
/// <param name="SymbolsToChunker">Mean symbols per test sequence that reach the chunker (of n + 2).</param>
/// <param name="AutomatizerSequences">Training sequences the automatizer used.</param>
/// <param name="ChunkerSequences">Training sequences the chunker used (it stops early once its test sequences are all right).</param>
/// <param name="SingleNetSequences">Training sequences the single net used.</param>
/// <param name="Seconds">Wall-clock time of the seed.</param>
public sealed record CompressorRow(int Seed, double CompressorRight, double SingleNetRight, double SingleNetClassRight, double SymbolsToChunker,
    long AutomatizerSequences, long ChunkerSequences, long SingleNetSequences, double Seconds);

/// <summary>
/// Schmidhuber's (1992) claim on sequences a x₁ … xₙ b / c x₁ … xₙ d (<see cref="PredictableMiddleSequences"/>): a
/// <see cref="HistoryCompressor"/> predicts the last symbol, where a single recurrent net trained by BPTT on next-symbol
/// prediction (the same cell and size, as many training sequences as both levels together) does not. Trained in two stages
/// through the one training loop (<see cref="TaskTrainer"/>): first the automatizer on next-symbol prediction; then, with the
/// automatizer fixed, the chunker on the compressed training sequences (its training data depends on what the automatizer has
/// learned, so it is drawn through the trained automatizer, batch by batch).
/// </summary>
public static class CompressorExperiment
{
    private const int V = PredictableMiddleSequences.SymbolCount;
    private const int StageTestSequences = 256;

    /// <summary>Trains and judges one seed.</summary>
    public static CompressorRow Run(CompressorOptions options, CancellationToken cancel = default)
    {
        options.Validate();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int steps = options.Middle + 2;
        var training = new TaskTrainingOptions
        {
            Cell = options.Cell, Hidden = options.Hidden, BatchSize = options.BatchSize, LearningRate = options.LearningRate,
            Seed = options.Seed, Threads = options.Threads, EvaluateEvery = 25,
        };

        // Stage 1: the automatizer learns to predict every next symbol.
        var automatizer = new TaskTrainer(NextSymbolTask(options.Middle, options.Seed), training with { MaxSequences = options.AutomatizerSequences });
        var stage1 = automatizer.Run(cancel: cancel);

        // Stage 2: the chunker learns the compressed sequences of the trained automatizer.
        var lower = automatizer.Tagger;
        var chunkerStream = new PredictableMiddleSequences(options.Middle, options.Seed + 1);
        var chunkerTest = HistoryCompressor.ChunkerBatch(HistoryCompressor.Compress(lower, new PredictableMiddleSequences(options.Middle, options.Seed + TaskCatalog.TestSeedOffset + 1).Next(StageTestSequences)), steps);
        var chunkerTask = new SequenceTask("compressed", options.Middle, V + 1, V, steps, StageTestSequences, 0,
            "right when every next unexpected symbol is the most active output",
            b => new StepClassificationTaskBatch(HistoryCompressor.ChunkerBatch(HistoryCompressor.Compress(lower, chunkerStream.Next(b)), steps), V, PredictableMiddleSequences.Alphabet + "·"),
            (first, count) => new StepClassificationTaskBatch(Slice(chunkerTest, first, count), V, PredictableMiddleSequences.Alphabet + "·"));
        var chunker = new TaskTrainer(chunkerTask, training with { MaxSequences = options.ChunkerSequences, Seed = options.Seed + 2 });
        var stage2 = chunker.Run(cancel: cancel);
        var compressor = new HistoryCompressor(lower, chunker.Tagger, steps);

        // The single net: the automatizer's task, with the budget of both levels.
        var single = new TaskTrainer(NextSymbolTask(options.Middle, options.Seed), training with { MaxSequences = options.AutomatizerSequences + options.ChunkerSequences });
        var singleRun = single.Run(cancel: cancel);

        var test = new PredictableMiddleSequences(options.Middle, options.Seed + TaskCatalog.TestSeedOffset).Next(options.TestSequences);
        var compressorRight = compressor.PredictsLast(test);
        var (singleRight, singleClassRight) = SingleNetPredictsLast(single, test);
        double toChunker = compressor.Compress(test).Average(c => (double)c.Symbols.Length);
        return new CompressorRow(options.Seed, Share(compressorRight), Share(singleRight), Share(singleClassRight), toChunker,
            stage1.Sequences, stage2.Sequences, singleRun.Sequences, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Next-symbol prediction over <see cref="PredictableMiddleSequences"/>: the automatizer's task and the single net's.</summary>
    public static SequenceTask NextSymbolTask(int middle, int seed)
    {
        var train = new PredictableMiddleSequences(middle, seed);
        var test = new PredictableMiddleSequences(middle, seed + TaskCatalog.TestSeedOffset).Next(StageTestSequences);
        return new SequenceTask("predictable-middle", middle, V, V, middle + 2, StageTestSequences, 0,
            "right when every next symbol is the most active output",
            b => NextSymbolBatch(train.Next(b)),
            (first, count) => NextSymbolBatch(test[first..(first + count)]));
    }

    private static StepClassificationTaskBatch NextSymbolBatch(int[][] sequences) =>
        new(new StepClassificationBatch(HistoryCompressor.OneHot(sequences), HistoryCompressor.NextSymbolTargets(sequences),
            [.. sequences.Select(s => s.Length)]), V, PredictableMiddleSequences.Alphabet);

    /// <summary>Whether the single net's most active output at the step before the last is the last symbol, and whether it at least rates the right one of b, d higher.</summary>
    private static (bool[] Right, bool[] ClassRight) SingleNetPredictsLast(TaskTrainer single, int[][] sequences)
    {
        int batch = sequences.Length, steps = sequences[0].Length;
        single.Tagger.Training = false;
        var logits = single.Tagger.Forward(HistoryCompressor.OneHot(sequences)).Data; // [T, B, V]
        var right = new bool[batch];
        var classRight = new bool[batch];
        for (int b = 0; b < batch; b++)
        {
            var step = logits.AsSpan(((steps - 2) * batch + b) * V, V);
            int last = sequences[b][^1], other = last == 1 ? 3 : 1;
            right[b] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(step) == last;
            classRight[b] = step[last] > step[other];
        }
        return (right, classRight);
    }

    private static StepClassificationBatch Slice(StepClassificationBatch all, int first, int count)
    {
        int steps = all.Steps, batch = all.BatchSize, f = all.FeatureCount;
        var x = new Tensors.Tensor(steps, count, f);
        var targets = new int[steps * count];
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < count; b++)
            {
                all.Inputs.Data.AsSpan(((t * batch) + first + b) * f, f).CopyTo(x.Data.AsSpan((t * count + b) * f, f));
                targets[t * count + b] = all.Targets[t * batch + first + b];
            }
        return new StepClassificationBatch(x, targets, all.Lengths[first..(first + count)]);
    }

    private static double Share(bool[] right) => right.Count(r => r) / (double)right.Length;
}
