using Carousel.Data;
using Carousel.Tensors;

namespace Carousel.Training.Char;

/// <summary>
/// A character model's batches as the one loop asks for them: independent windows at random offsets (the generator's
/// state now is what reproduces the coming batches) or char-rnn's contiguous streams (their position is).
/// </summary>
public sealed class TextBatchSource : IBatchSource<TextBatch>
{
    private readonly int[] _text;
    private readonly int _steps, _batchSize;
    private readonly Rng _rng;
    private ITextBatcher _batcher;

    /// <summary>Batches of <paramref name="batchSize"/> windows of <paramref name="steps"/> characters from the text, drawn as <paramref name="mode"/> says.</summary>
    /// <param name="text">The training text's ids.</param>
    /// <param name="steps">Characters per window.</param>
    /// <param name="batchSize">Windows per batch.</param>
    /// <param name="mode">Random windows or contiguous streams.</param>
    /// <param name="rng">Draws the random windows' offsets.</param>
    public TextBatchSource(int[] text, int steps, int batchSize, BatchingMode mode, Rng rng)
    {
        _text = text; _steps = steps; _batchSize = batchSize; _rng = rng;
        Mode = mode;
        _batcher = Create(0);
        BatchesPerEpoch = Math.Max(1, text.Length / ((long)steps * batchSize));
    }

    /// <summary>Random windows or contiguous streams.</summary>
    public BatchingMode Mode { get; }

    /// <inheritdoc/>
    public long BatchesPerEpoch { get; }

    /// <inheritdoc/>
    public TextBatch Next(int index) => _batcher.Next();

    /// <inheritdoc/>
    public ulong[] State => Mode == BatchingMode.Random ? _rng.State : [];

    /// <inheritdoc/>
    public long StreamPosition => (_batcher as StreamBatcher)?.Position ?? 0;

    /// <inheritdoc/>
    public void Restore(ulong[] state, long streamPosition)
    {
        if (Mode == BatchingMode.Random) _rng.State = state;
        else _batcher = Create(streamPosition);
    }

    private ITextBatcher Create(long position) => Mode == BatchingMode.Stream
        ? new StreamBatcher(_text, _steps, _batchSize, position)
        : new RandomWindowBatcher(_text, _steps, _batchSize, _rng);
}
