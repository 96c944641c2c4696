using Carousel.Tensors;

namespace Carousel.Data;

/// <summary>A batch of character windows, time-major: Inputs[t·B + b], Targets the next characters.</summary>
public sealed record TextBatch(int[] Inputs, int[] Targets, int Steps, int BatchSize, bool StartsNewStreams);

/// <summary>Where batches of training windows come from.</summary>
public interface ITextBatcher
{
    TextBatch Next();
}

/// <summary>Windows at random offsets (nanoGPT); every batch is independent, so no state is carried.</summary>
public sealed class RandomWindowBatcher(int[] data, int steps, int batchSize, Rng rng) : ITextBatcher
{
    public TextBatch Next()
    {
        var inputs = new int[steps * batchSize];
        var targets = new int[steps * batchSize];
        for (int b = 0; b < batchSize; b++)
        {
            int start = rng.NextInt(data.Length - steps);
            for (int t = 0; t < steps; t++)
            {
                inputs[t * batchSize + b] = data[start + t];
                targets[t * batchSize + b] = data[start + t + 1];
            }
        }
        return new TextBatch(inputs, targets, steps, batchSize, StartsNewStreams: true);
    }
}

/// <summary>
/// char-rnn's batching: the text is cut into B contiguous streams and consecutive chunks of T characters
/// are read from each, so the final state of one chunk is the right initial state of the next
/// (truncated BPTT). At the end of the streams an epoch ends and reading starts over with a fresh state.
/// </summary>
public sealed class StreamBatcher : ITextBatcher
{
    private readonly int[] _data;
    private readonly int _steps, _batchSize, _streamLength, _chunksPerEpoch;

    public StreamBatcher(int[] data, int steps, int batchSize, long position = 0)
    {
        _data = data; _steps = steps; _batchSize = batchSize;
        _streamLength = (data.Length - 1) / batchSize;
        _chunksPerEpoch = _streamLength / steps;
        if (_chunksPerEpoch < 1)
            throw new SettingException("BatchSize", $"The text is too short for {batchSize} streams of at least {steps + 1} characters; use a smaller BatchSize or SeqLength.", "SeqLength");
        Position = position;
    }

    /// <summary>Number of chunks read so far (saved in checkpoints so a resumed run continues where it stopped).</summary>
    public long Position { get; private set; }

    public int ChunksPerEpoch => _chunksPerEpoch;

    public TextBatch Next()
    {
        int chunk = (int)(Position % _chunksPerEpoch);
        Position++;
        var inputs = new int[_steps * _batchSize];
        var targets = new int[_steps * _batchSize];
        for (int b = 0; b < _batchSize; b++)
        {
            int start = b * _streamLength + chunk * _steps;
            for (int t = 0; t < _steps; t++)
            {
                inputs[t * _batchSize + b] = _data[start + t];
                targets[t * _batchSize + b] = _data[start + t + 1];
            }
        }
        return new TextBatch(inputs, targets, _steps, _batchSize, StartsNewStreams: chunk == 0);
    }
}
