namespace Carousel.Experiments.Tasks;

/// <summary>
/// A benchmark task ready for training: a stream of training batches, a fixed set of fresh test sequences
/// drawn from an independent stream, and the success criterion: at most <see cref="AllowedWrong"/> of the
/// <see cref="TestSequences"/> test sequences wrong. Made by <see cref="TaskCatalog.Create"/>.
/// </summary>
public sealed class SequenceTask
{
    private readonly Func<int, TaskBatch> _nextTrainingBatch;
    private readonly Func<int, int, TaskBatch> _testBatch;
    private TaskBatch[]? _testBatches;
    private int _testChunk;

    /// <summary>A task from its sizes, its criterion and its two sequence streams; <see cref="TaskCatalog.Create"/> makes them.</summary>
    /// <param name="name">The task's name in <see cref="TaskCatalog"/>.</param>
    /// <param name="length">The task's length parameter, or null for tasks without one.</param>
    /// <param name="inputSize">Input features F per step.</param>
    /// <param name="outputSize">Outputs K per step.</param>
    /// <param name="longestSequence">The most steps a sequence can have.</param>
    /// <param name="testSequences">Test sequences the criterion is judged on.</param>
    /// <param name="allowedWrong">The most test sequences that may be wrong for the task to count as solved.</param>
    /// <param name="criterion">The success criterion in words.</param>
    /// <param name="nextTrainingBatch">Draws the next training batch of the given size.</param>
    /// <param name="testBatch">(first, count) → test sequences first .. first + count − 1; the same every call.</param>
    internal SequenceTask(string name, int? length, int inputSize, int outputSize, int longestSequence,
        int testSequences, int allowedWrong, string criterion,
        Func<int, TaskBatch> nextTrainingBatch, Func<int, int, TaskBatch> testBatch)
    {
        Name = name;
        Length = length;
        InputSize = inputSize;
        OutputSize = outputSize;
        LongestSequence = longestSequence;
        TestSequences = testSequences;
        AllowedWrong = allowedWrong;
        Criterion = criterion;
        _nextTrainingBatch = nextTrainingBatch;
        _testBatch = testBatch;
    }

    /// <summary>The task's name in <see cref="TaskCatalog"/>, such as "adding".</summary>
    public string Name { get; }

    /// <summary>The task's length parameter (T, N or the delay; see <see cref="TaskCatalog"/>), or null for tasks without one.</summary>
    public int? Length { get; }

    /// <summary>Input features F per step.</summary>
    public int InputSize { get; }

    /// <summary>Outputs K per step.</summary>
    public int OutputSize { get; }

    /// <summary>The most steps a sequence of the task can have: the longest lag to plan for (chrono initialisation).</summary>
    public int LongestSequence { get; }

    /// <summary>Fresh test sequences the criterion is judged on (2,560 for the 1997 paper's tasks).</summary>
    public int TestSequences { get; }

    /// <summary>The most test sequences that may be wrong for the task to count as solved (3 for the 1997 paper's tasks).</summary>
    public int AllowedWrong { get; }

    /// <summary>
    /// What the task does to the raw output before scoring it: tanh or logistic for the classic two-class benchmarks (latch,
    /// 2-sequence, parity), whose nets have squashing output units; <see cref="OutputSquash.None"/> for the others.
    /// </summary>
    public OutputSquash OutputSquash { get; init; }

    /// <summary>The success criterion in words, e.g. "|error| &lt; 0.04 at the last step; solved with at most 3 wrong of 2,560".</summary>
    public string Criterion { get; }

    /// <summary>The next <paramref name="batchSize"/> training sequences of the stream, fresh on every call.</summary>
    public TaskBatch NextTrainingBatch(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return _nextTrainingBatch(batchSize);
    }

    /// <summary>The test sequences in batches of at most <paramref name="chunk"/>, made once and kept (always the same sequences).</summary>
    public IReadOnlyList<TaskBatch> TestBatches(int chunk)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunk, 1);
        if (_testBatches is null || _testChunk != chunk)
        {
            var batches = new List<TaskBatch>();
            for (int first = 0; first < TestSequences; first += chunk)
                batches.Add(_testBatch(first, Math.Min(chunk, TestSequences - first)));
            _testBatches = [.. batches];
            _testChunk = chunk;
        }
        return _testBatches;
    }
}
