using Carousel.Data.Tasks;

namespace Carousel.Experiments.Tasks;

/// <summary>One entry of <see cref="TaskCatalog"/>: a task's name, what it asks, and what its length parameter means.</summary>
/// <param name="Name">The name to give <see cref="TaskCatalog.Create"/> and `carousel task`, such as "adding".</param>
/// <param name="Summary">The task in one line: its source paper and what the network must output.</param>
/// <param name="LengthMeaning">What the task's length (Length) sets, or null when the task has no length parameter.</param>
/// <param name="DefaultLength">The length used when none is given (0 for tasks without one).</param>
/// <param name="SmallestLength">The smallest length the task accepts (0 for tasks without one).</param>
public sealed record TaskInfo(string Name, string Summary, string? LengthMeaning, int DefaultLength, int SmallestLength);

/// <summary>
/// The benchmark tasks of src/Carousel/Data/Tasks by name, each with its output kind and the success criterion
/// of the literature. Training sequences come from the seed, test sequences from an independent stream
/// (seed + <see cref="TestSeedOffset"/>), so the test sequences are fresh ones never trained on.
/// </summary>
public static class TaskCatalog
{
    /// <summary>The 1997 paper's test set size for the adding, multiplication and temporal order problems…</summary>
    public const int LongLagTestSequences = 2560;

    /// <summary>…and the most wrong answers it allows among them ("at most 3 of 2,560").</summary>
    public const int LongLagAllowedWrong = 3;

    /// <summary>The guessing papers' test set size for the latch, 2-sequence and parity problems (all must be right).</summary>
    public const int BenchmarkTestSequences = 100;

    /// <summary>The guessing papers' T for the latch, 2-sequence and parity problems: lengths 500..600.</summary>
    public const int BenchmarkDefaultLength = 500;

    /// <summary>The guessing papers' criterion: absolute error at the sequence end below 0.1.</summary>
    public const float BenchmarkTolerance = 0.1f;

    /// <summary>Added to the seed for the test stream.</summary>
    public const int TestSeedOffset = 1_000_003;

    // Copy task: 8 symbols, 5 to remember; --length is the delay.
    private const int CopyAlphabetSize = 8, CopySymbols = 5;
    private const int ReberTestStrings = 256;

    /// <summary>Every task, in the order `carousel task list` shows them.</summary>
    public static readonly IReadOnlyList<TaskInfo> All =
    [
        new("adding", "adding problem (Hochreiter & Schmidhuber 1997, exp. 4): at the end output 0.5 + (X1 + X2)/4 of the two marked values",
            "T, the minimal length (sequences have T..T+T/10 steps; X2 lies in the first T/2)", 100, MarkedPairProblem.SmallestMinLength),
        new("multiplication", "multiplication problem (1997, exp. 5): at the end output X1·X2 of the two marked values in [0, 1]",
            "T, the minimal length (as adding)", 100, MarkedPairProblem.SmallestMinLength),
        new("temporal-order", "temporal order (1997, exp. 6a): classify the order of 2 X/Y symbols among distractors, 4 classes, 100..110 steps", null, 0, 0),
        new("temporal-order-3", "temporal order (1997, exp. 6b): the order of 3 X/Y symbols, 8 classes, 100..110 steps", null, 0, 0),
        new("reber", "embedded Reber grammar (1997, exp. 1): predict the set of legal next symbols at every step", null, 0, 0),
        new("anbncn", "aⁿbⁿcⁿ (Gers & Schmidhuber 2001): predict the set of legal next symbols of S aⁿ bⁿ cⁿ T at every step",
            "N: trains on n in 1..N, tests every n in 1..N", 10, 1),
        new("latch-1", "latch problem, variant I (Bengio et al. 1994; Hochreiter & Schmidhuber 1996): the first step's one-hot class indicator is all the class; then noise; tanh output −0.8/+0.8 at the end",
            "T, the minimal length (lengths T..T+T/5; the papers: 500)", BenchmarkDefaultLength, 2),
        new("latch", "latch problem, variant II (Hochreiter & Schmidhuber 1996): first input ±1 gives the class, then Gaussian noise (variance 0.2); tanh output ±1 at the end",
            "T, the minimal length (lengths T..T+T/5; the papers: 500)", BenchmarkDefaultLength, 2),
        new("two-sequence", $"2-sequence problem (Bengio et al. 1994): the first {TwoSequenceProblem.DefaultRelevantSteps} inputs (all 1 or all −1) give the class, then Gaussian noise; logistic output 0/1 at the end",
            "T, the minimal length (lengths T..T+T/5; the papers: 500)", BenchmarkDefaultLength, TwoSequenceProblem.DefaultRelevantSteps + 1),
        new("parity", "parity problem (Bengio et al. 1994): bits ±1; logistic output 1 when the number of 1s is odd, 0 when even, at the end",
            "N, the minimal number of bits (N..N+N/5; the papers: 500)", BenchmarkDefaultLength, 1),
        new("copy", $"copy task: read {CopySymbols} of {CopyAlphabetSize} symbols, wait, then on the go marker emit them in order",
            "D, the delay (blank steps) between the last symbol and the go marker", 10, 0),
    ];

    /// <summary>The names of every task, in catalog order.</summary>
    public static IEnumerable<string> Names => All.Select(t => t.Name);

    /// <summary>The entry of the task named <paramref name="name"/>; throws <see cref="ArgumentException"/> for an unknown name.</summary>
    public static TaskInfo Info(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new SettingException("Task", $"Unknown task '{name}': expected one of {string.Join(", ", Names)}.");

    /// <summary>The task named <paramref name="name"/>, ready to train: its training stream and its fixed fresh test sequences.</summary>
    /// <param name="name">One of <see cref="Names"/>.</param>
    /// <param name="length">The task's length parameter (<see cref="TaskInfo.LengthMeaning"/>); null for its default.</param>
    /// <param name="seed">Seeds the training sequences; the test sequences come from seed + <see cref="TestSeedOffset"/>.</param>
    public static SequenceTask Create(string name, int? length = null, int seed = 1)
    {
        var info = Info(name);
        if (length is int given)
        {
            if (info.LengthMeaning is null) throw new SettingException("Length", $"Task '{name}' has no length parameter; leave out Length.");
            if (given < info.SmallestLength)
                throw new SettingException("Length", $"Length must be at least {info.SmallestLength} for task '{name}' ({info.LengthMeaning}), got {given}.");
        }
        int n = length ?? info.DefaultLength;
        int testSeed = seed + TestSeedOffset;
        string longLag = $"solved with at most {LongLagAllowedWrong} wrong of {LongLagTestSequences:N0} fresh test sequences";
        switch (name)
        {
            case "adding":
            case "multiplication":
            {
                Func<int, MarkedPairProblem> make = s => name == "adding" ? new AddingProblem(n, variableLength: true, s) : new MultiplicationProblem(n, variableLength: true, s);
                var train = make(seed);
                MarkedPairProblem? test = null;
                return new SequenceTask(name, n, MarkedPairProblem.FeatureCount, 1, train.MaxLength, LongLagTestSequences, LongLagAllowedWrong,
                    $"right when |output − target| < {MarkedPairProblem.Tolerance} at the last step; {longLag}",
                    b => new LastStepRegressionBatch(train.NextBatch(b), train.MaxLength),
                    (first, count) => new LastStepRegressionBatch((first == 0 ? test = make(testSeed) : test!).NextBatch(count), train.MaxLength));
            }
            case "temporal-order":
            case "temporal-order-3":
            {
                int k = name == "temporal-order" ? 2 : 3;
                var train = new TemporalOrder(k, seed);
                TemporalOrder? test = null;
                TaskBatch Wrap(SequenceClassificationBatch batch) =>
                    new LastStepClassificationBatch(batch, train.ClassCount, TemporalOrder.Alphabet, train.ClassNames);
                return new SequenceTask(name, null, TemporalOrder.SymbolCount, train.ClassCount, train.MaxLength, LongLagTestSequences, LongLagAllowedWrong,
                    $"right when the most active of the {train.ClassCount} softmax outputs at the last step is the class; {longLag}",
                    b => Wrap(train.NextBatch(b)),
                    (first, count) => Wrap((first == 0 ? test = new TemporalOrder(k, testSeed) : test!).NextBatch(count)));
            }
            case "reber":
            {
                var grammar = new EmbeddedReberGrammar(seed);
                var split = new HeldOutSplit(0.25, seed);
                var testStrings = new EmbeddedReberGrammar(testSeed).NextDistinctStrings(ReberTestStrings, split.IsHeldOut);
                return new SequenceTask(name, null, EmbeddedReberGrammar.SymbolCount, EmbeddedReberGrammar.SymbolCount, testStrings.Max(s => s.Length),
                    ReberTestStrings, 0,
                    $"right when at every step exactly the legal next symbols have output > 0.5; solved when all {ReberTestStrings} held-out strings " +
                    "(a seeded quarter of the grammar's strings, never trained on) are right",
                    b =>
                    {
                        var strings = new string[b];
                        for (int i = 0; i < b; i++) strings[i] = grammar.NextString(split.IsForTraining);
                        return new LegalNextSetBatch(EmbeddedReberGrammar.Encode(strings), EmbeddedReberGrammar.Alphabet);
                    },
                    (first, count) => new LegalNextSetBatch(EmbeddedReberGrammar.Encode(testStrings[first..(first + count)]), EmbeddedReberGrammar.Alphabet));
            }
            case "anbncn":
            {
                var language = new AnBnCn(seed, includeEmpty: false);
                return new SequenceTask(name, n, AnBnCn.SymbolCount, AnBnCn.SymbolCount, 3 * n + 1, n, 0,
                    $"right when at every step exactly the legal next symbols have output > 0.5; solved when every n in 1..{n} is right",
                    b => new LegalNextSetBatch(language.Encode(language.Sample(b, 1, n)), AnBnCn.Alphabet),
                    (first, count) => new LegalNextSetBatch(language.Encode(AnBnCn.Range(first + 1, first + count)), AnBnCn.Alphabet));
            }
            case "copy":
            {
                var train = new CopyTask(CopyAlphabetSize, CopySymbols, n, seed);
                CopyTask? test = null;
                // Symbols 0..7 as a..h, then the blank and the go marker.
                const string alphabet = "abcdefgh_!";
                return new SequenceTask(name, n, train.InputSize, train.ClassCount, train.Steps, LongLagTestSequences, LongLagAllowedWrong,
                    $"right when every recalled symbol is the most active of the {CopyAlphabetSize} softmax outputs; {longLag}",
                    b => new StepClassificationTaskBatch(train.NextBatch(b), train.ClassCount, alphabet),
                    (first, count) => new StepClassificationTaskBatch(
                        (first == 0 ? test = new CopyTask(CopyAlphabetSize, CopySymbols, n, testSeed) : test!).NextBatch(count), train.ClassCount, alphabet));
            }
            case "latch-1":
            case "latch":
            case "two-sequence":
            case "parity":
            {
                Func<int, BinarySequenceProblem> make = name switch
                {
                    "latch-1" => s => new LatchProblem(1, n, s),
                    "latch" => s => new LatchProblem(2, n, s),
                    "two-sequence" => s => new TwoSequenceProblem(n, s),
                    _ => s => new ParityProblem(n, s),
                };
                var (squash, targets, tolerance) = name switch
                {
                    "latch-1" => (OutputSquash.Tanh, new[] { -0.8f, 0.8f }, (float?)null),
                    "latch" => (OutputSquash.Tanh, new[] { -1f, 1f }, BenchmarkTolerance),
                    _ => (OutputSquash.Logistic, new[] { 0f, 1f }, BenchmarkTolerance),
                };
                var train = make(seed);
                BinarySequenceProblem? test = null;
                string rule = tolerance is null
                    ? $"right when tanh(output) at the last step is on the side of its target ({targets[0]:0.0#} or {targets[1]:0.0#})"
                    : $"right when |{(squash == OutputSquash.Tanh ? "tanh" : "σ")}(output) − target| < {BenchmarkTolerance} at the last step (targets {targets[0]:0.0#} and {targets[1]:0.0#})";
                return new SequenceTask(name, n, train.FeatureCount, 1, train.MaxLength, BenchmarkTestSequences, 0,
                    $"{rule}; solved when all {BenchmarkTestSequences} fresh test sequences are right",
                    b => new LastStepBinaryBatch(train.NextBatch(b), squash, targets, tolerance),
                    (first, count) => new LastStepBinaryBatch((first == 0 ? test = make(testSeed) : test!).NextBatch(count), squash, targets, tolerance))
                { OutputSquash = squash };
            }
            default:
                throw new ArgumentException($"Unknown task '{name}'.");
        }
    }
}
