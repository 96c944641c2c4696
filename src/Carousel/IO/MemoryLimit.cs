using System.Globalization;

namespace Carousel.IO;

/// <summary>
/// The memory this process may fill with arrays: the memory the garbage collector may use (the machine's, or a
/// container's limit) and, under an address-space limit (<c>ulimit -v</c>, the "Max address space" of
/// /proc/self/limits), two fifths of that limit: the .NET runtime reserves about half of a limited address space for its
/// own ranges, and large arrays fit less well in the rest (measured with .NET 10 on Linux: 2, 3, 4 and 8 GB limits let
/// 0.9, 1.4, 1.9 and 3.9 GB of 100 MB arrays be allocated, but a 4 GB limit only 1.55 GB of 310 MB arrays; a classifier
/// estimated at 1.56 GB trained under a 4 GB limit, one estimated at 1.87 GB ran out of memory).
/// </summary>
/// <param name="Bytes">The bytes arrays may take.</param>
/// <param name="AddressSpaceLimit">The address-space limit, when there is one (bytes).</param>
public sealed record MemoryLimit(long Bytes, long? AddressSpaceLimit = null)
{
    /// <summary>This process's limit, read now.</summary>
    public static MemoryLimit OfThisProcess()
    {
        long total = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        long? addressSpace = ReadAddressSpaceLimit();
        return addressSpace is { } limit ? new MemoryLimit(Math.Min(total, limit / 5 * 2), limit) : new MemoryLimit(total);
    }

    /// <summary>"1.6 GB (two fifths of its address-space limit of 4.1 GB)": the limit as a message states it.</summary>
    public override string ToString() => AddressSpaceLimit is { } limit && Bytes < GC.GetGCMemoryInfo().TotalAvailableMemoryBytes
        ? $"{Format(Bytes)} (two fifths of its address-space limit of {Format(limit)})"
        : Format(Bytes);

    /// <summary>Bytes as "812 MB", "6.4 GB", "2.5 TB".</summary>
    public static string Format(double bytes) => bytes >= 1e12
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e12:#,0.#} TB")
        : bytes >= 1e9
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:0.#} GB")
        : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, Math.Round(bytes / 1e6)):0} MB");

    /// <summary>The soft "Max address space" of /proc/self/limits in bytes; null when unlimited or not on Linux.</summary>
    private static long? ReadAddressSpaceLimit()
    {
        const string file = "/proc/self/limits";
        try
        {
            if (!File.Exists(file)) return null;
            foreach (string line in File.ReadLines(file))
            {
                if (!line.StartsWith("Max address space", StringComparison.Ordinal)) continue;
                string[] fields = line["Max address space".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out long limit) ? limit : null;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }
}
