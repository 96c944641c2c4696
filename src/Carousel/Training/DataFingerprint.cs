using System.Security.Cryptography;

namespace Carousel.Training;

/// <summary>
/// A SHA-256 over encoded training data (sequences, labels, conditions), to tell a resumed run's data from other data.
/// Disposable for its hash object; a trainer takes <see cref="ToString"/> once and disposes it.
/// </summary>
public sealed class DataFingerprint : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Hashes each sequence of ids in order, its length included; returns this fingerprint.</summary>
    public DataFingerprint Add(IEnumerable<int[]> sequences)
    {
        foreach (var s in sequences) Add(s);
        return this;
    }

    /// <summary>Hashes the ids (labels, lengths, ...) and their count; returns this fingerprint.</summary>
    public DataFingerprint Add(int[] values)
    {
        _hash.AppendData(BitConverter.GetBytes(values.Length)); // lengths too, so [1][2] differs from [1, 2]
        _hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return this;
    }

    /// <summary>Hashes the values (condition vectors, ...) bit for bit and their count; returns this fingerprint.</summary>
    public DataFingerprint Add(float[] values)
    {
        _hash.AppendData(BitConverter.GetBytes(values.Length));
        _hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return this;
    }

    /// <summary>Hashes the text's UTF-8 bytes and their count; returns this fingerprint.</summary>
    public DataFingerprint Add(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        _hash.AppendData(BitConverter.GetBytes(bytes.Length));
        _hash.AppendData(bytes);
        return this;
    }

    /// <summary>The SHA-256 of everything added so far, as 64 lowercase hex digits.</summary>
    public override string ToString() => Convert.ToHexStringLower(_hash.GetCurrentHash());

    /// <summary>Releases the hash object.</summary>
    public void Dispose() => _hash.Dispose();
}
