using Carousel.Tensors;

namespace Carousel.Data;

/// <summary>
/// A batch of variable-length symbol sequences, padded to the longest and laid out time-major, with each
/// sequence's length: what <see cref="Layers.Recurrent.RecurrentStack.Forward"/> takes as <c>lengths</c>.
/// </summary>
/// <param name="Ids">[T, B] time-major symbol ids; positions at or past a sequence's length hold the pad id.</param>
/// <param name="Lengths">[B] the real length of each sequence (at least 1).</param>
/// <param name="Examples">[B] which example of the source list each batch row came from.</param>
/// <param name="PadId">The id written at padded positions (past a sequence's length).</param>
public sealed record PaddedBatch(int[] Ids, int[] Lengths, int[] Examples, int PadId)
{
    /// <summary>B: the number of sequences in the batch.</summary>
    public int BatchSize => Lengths.Length;

    /// <summary>T: the longest sequence of the batch.</summary>
    public int Steps => Ids.Length / Lengths.Length;

    /// <summary>Id at step t of batch row b (the pad id past the row's length).</summary>
    public int this[int t, int b] => Ids[t * BatchSize + b];

    /// <summary>Share of the batch's T·B positions that are real symbols (1 = no padding).</summary>
    public double Fill
    {
        get
        {
            long real = 0;
            foreach (var length in Lengths) real += length;
            return (double)real / Ids.Length;
        }
    }

    /// <summary>Pads the sequences chosen by <paramref name="examples"/> (indices into <paramref name="sequences"/>) into one time-major batch.</summary>
    public static PaddedBatch From(IReadOnlyList<int[]> sequences, ReadOnlySpan<int> examples, int padId)
    {
        if (examples.Length == 0) throw new ArgumentException("A batch needs at least one sequence.", nameof(examples));
        int batch = examples.Length, steps = 0;
        var lengths = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            lengths[b] = sequences[examples[b]].Length;
            if (lengths[b] == 0) throw new ArgumentException($"Example {examples[b]} is an empty sequence.", nameof(sequences));
            steps = Math.Max(steps, lengths[b]);
        }
        var ids = new int[steps * batch];
        Array.Fill(ids, padId);
        for (int b = 0; b < batch; b++)
        {
            var sequence = sequences[examples[b]];
            for (int t = 0; t < sequence.Length; t++) ids[t * batch + b] = sequence[t];
        }
        return new PaddedBatch(ids, lengths, examples.ToArray(), padId);
    }
}

/// <summary>
/// Groups examples into batches of similar length so that padding costs little, while keeping batches
/// random: shuffle, cut into pools of <c>poolBatches</c> batches, sort each pool by length, cut the pool
/// into batches, then shuffle the order of all batches (the "bucket iterator" of common toolkits).
/// </summary>
public static class LengthBuckets
{
    /// <summary>
    /// Batches of example indices covering every example once. With <paramref name="rng"/> null the order is
    /// deterministic (sorted by length, stable), which suits evaluation.
    /// </summary>
    public static List<int[]> Plan(IReadOnlyList<int> lengths, int batchSize, Rng? rng, int poolBatches = 50)
    {
        if (batchSize <= 0) throw new ArgumentException($"Batch size must be positive, got {batchSize}.", nameof(batchSize));
        if (poolBatches <= 0) throw new ArgumentException($"Pool size must be positive, got {poolBatches}.", nameof(poolBatches));
        var order = new int[lengths.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (rng is not null) Shuffle(order, rng);

        int pool = rng is null ? order.Length : batchSize * poolBatches;
        var batches = new List<int[]>();
        for (int start = 0; start < order.Length; start += pool)
        {
            var chunk = order.AsSpan(start, Math.Min(pool, order.Length - start)).ToArray();
            var keys = new int[chunk.Length];
            for (int i = 0; i < chunk.Length; i++) keys[i] = lengths[chunk[i]];
            // Stable: ties keep their (shuffled or original) order.
            var positions = new int[chunk.Length];
            for (int i = 0; i < positions.Length; i++) positions[i] = i;
            Array.Sort(positions, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
            for (int i = 0; i < chunk.Length; i += batchSize)
            {
                var batch = new int[Math.Min(batchSize, chunk.Length - i)];
                for (int j = 0; j < batch.Length; j++) batch[j] = chunk[positions[i + j]];
                batches.Add(batch);
            }
        }
        if (rng is not null) Shuffle(batches, rng);
        return batches;
    }

    private static void Shuffle<T>(IList<T> items, Rng rng)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
