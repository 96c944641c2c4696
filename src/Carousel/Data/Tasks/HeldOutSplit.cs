namespace Carousel.Data.Tasks;

/// <summary>
/// Splits the space of all strings into a held-out part and a training part by a seeded hash of each string:
/// a string is held out with probability <see cref="HeldOutFraction"/>, independently of its length, and always
/// on the same side. Test strings come from the held-out part and training strings from the rest, so no test
/// string is ever trained on, yet training still sees strings of every length.
/// </summary>
/// <remarks>
/// Holding out "the first N distinct strings drawn" instead would take the most probable strings: for the
/// embedded Reber grammar 256 of them are every string up to length 13 and 87 % of the probability mass,
/// leaving training only long strings and some short prefixes never seen at all.
/// </remarks>
public sealed class HeldOutSplit
{
    private readonly ulong _seed;

    /// <summary>A split holding out about <paramref name="heldOutFraction"/> of all strings, fixed by <paramref name="seed"/>.</summary>
    /// <param name="heldOutFraction">Share of the string space held out, in (0, 1).</param>
    /// <param name="seed">Different seeds give different splits.</param>
    public HeldOutSplit(double heldOutFraction, int seed)
    {
        if (!(heldOutFraction > 0 && heldOutFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(heldOutFraction), heldOutFraction, "The held-out fraction must be in (0, 1).");
        HeldOutFraction = heldOutFraction;
        _seed = Mix((ulong)seed + 0x9E3779B97F4A7C15UL);
    }

    /// <summary>The probability that any given string is held out, in (0, 1).</summary>
    public double HeldOutFraction { get; }

    /// <summary>Whether <paramref name="s"/> belongs to the held-out part (the same answer in every process).</summary>
    public bool IsHeldOut(string s)
    {
        // FNV-1a over the characters, then a strong finalizer: string.GetHashCode is randomized per process.
        ulong hash = 14695981039346656037UL ^ _seed;
        foreach (char c in s)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        double uniform = (Mix(hash) >> 11) * (1.0 / (1UL << 53));
        return uniform < HeldOutFraction;
    }

    /// <summary>Whether <paramref name="s"/> belongs to the training part.</summary>
    public bool IsForTraining(string s) => !IsHeldOut(s);

    // SplitMix64's finalizer.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
