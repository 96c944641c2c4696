using System.Security.Cryptography;

namespace Carousel.Training;

/// <summary>
/// A SHA-256 over encoded training data (sequences, labels, conditions), to tell a resumed run's data from other data.
/// Disposable for its hash object; a trainer takes <see cref="ToString"/> once and disposes it.
/// </summary>
public sealed class DataFingerprint : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public DataFingerprint Add(IEnumerable<int[]> sequences)
    {
        foreach (var s in sequences) Add(s);
        return this;
    }

    public DataFingerprint Add(int[] values)
    {
        _hash.AppendData(BitConverter.GetBytes(values.Length)); // lengths too, so [1][2] differs from [1, 2]
        _hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return this;
    }

    public DataFingerprint Add(float[] values)
    {
        _hash.AppendData(BitConverter.GetBytes(values.Length));
        _hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return this;
    }

    public DataFingerprint Add(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        _hash.AppendData(BitConverter.GetBytes(bytes.Length));
        _hash.AppendData(bytes);
        return this;
    }

    public override string ToString() => Convert.ToHexStringLower(_hash.GetCurrentHash());

    public void Dispose() => _hash.Dispose();
}
