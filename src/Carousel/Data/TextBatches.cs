using Carousel.Tensors;

namespace Carousel.Data;

/// <summary>A batch of character windows, time-major: Inputs[t·B + b], Targets the next characters.</summary>
/// <param name="Inputs">[T, B] character ids, time-major.</param>
/// <param name="Targets">[T, B] the id of the character that follows each input.</param>
/// <param name="Steps">T, the window length.</param>
/// <param name="BatchSize">B, the number of windows.</param>
/// <param name="StartsNewStreams">Whether the windows do not continue the previous batch's, so the state must be reset.</param>
public sealed record TextBatch(int[] Inputs, int[] Targets, int Steps, int BatchSize, bool StartsNewStreams);

/// <summary>Where batches of training windows come from.</summary>
public interface ITextBatcher
{
    /// <summary>The next batch of windows.</summary>
    TextBatch Next();
}

/// <summary>Windows at random offsets (nanoGPT); every batch is independent, so no state is carried.</summary>
/// <param name="data">The whole text as character ids; it must be longer than <paramref name="steps"/>.</param>
/// <param name="steps">T, the window length.</param>
/// <param name="batchSize">B, the number of windows per batch.</param>
/// <param name="rng">Draws the offsets.</param>
public sealed class RandomWindowBatcher(int[] data, int steps, int batchSize, Rng rng) : ITextBatcher
{
    /// <summary>B windows of T characters at independent random offsets, with their next characters as targets.</summary>
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

    /// <summary>Batches of <paramref name="batchSize"/> streams × <paramref name="steps"/> characters over <paramref name="data"/>, continuing after <paramref name="position"/> chunks already read.</summary>
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

    /// <summary>The number of batches in one pass over the text.</summary>
    public int ChunksPerEpoch => _chunksPerEpoch;

    /// <summary>The next T characters of every stream; after the last chunk of an epoch, the first chunk again.</summary>
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
