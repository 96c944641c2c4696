using Carousel.Tensors;

namespace Carousel.Data;

/// <summary>
/// Splits pairs into two sets by source ("by word"): every pair of one source — all pronunciations of one spelling — lands
/// on the same side, so a held-out set made this way measures unseen words. The held-out sources are a fraction of the
/// distinct sources drawn by a seed: the same pairs, fraction and seed give the same split whatever the order of the file.
/// </summary>
public static class WordSplit
{
    /// <summary>
    /// (kept, heldOut): round(fraction · distinct sources) sources, at least 1, go to heldOut with all their pairs; the pairs
    /// keep their order on each side. <paramref name="fraction"/> must be in (0, 1) and leave at least one source on each side.
    /// </summary>
    public static (List<SequencePair> Kept, List<SequencePair> HeldOut) BySource(IReadOnlyList<SequencePair> pairs, double fraction, ulong seed)
    {
        SettingException.Require(fraction > 0 && fraction < 1, "InnerDevFraction", $"InnerDevFraction must be in (0, 1), got {fraction}.");
        // Distinct sources in ordinal order, then a seeded Fisher-Yates shuffle: independent of the file's order.
        var sources = pairs.Select(Key).Distinct().Order(StringComparer.Ordinal).ToArray();
        int held = Math.Max(1, (int)Math.Round(fraction * sources.Length));
        SettingException.Require(held < sources.Length, "InnerDevFraction",
            $"InnerDevFraction {fraction} of {sources.Length} distinct sources leaves none to train on.");
        var rng = new Rng(seed ^ 0x5EED_1DEA_0000_0001UL); // its own stream: not the one that draws the weights
        for (int i = sources.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (sources[i], sources[j]) = (sources[j], sources[i]);
        }
        var heldOut = new HashSet<string>(sources.Take(held), StringComparer.Ordinal);
        var kept = new List<SequencePair>();
        var heldPairs = new List<SequencePair>();
        foreach (var pair in pairs) (heldOut.Contains(Key(pair)) ? heldPairs : kept).Add(pair);
        return (kept, heldPairs);
    }

    // The source's symbols joined by a separator no symbol contains.
    private static string Key(SequencePair pair) => string.Join('\u0001', pair.Source);
}
