using Carousel.Tensors;

namespace Carousel.Layers;

/// <summary>A lookup table of vectors, as PyTorch's nn.Embedding: weight [V, E], initialised N(0, 1).</summary>
public sealed class Embedding : IModule
{
    private int[] _ids = [];

    /// <summary>V: the number of vectors in the table, so ids run from 0 to V − 1.</summary>
    public int VocabularySize { get; }

    /// <summary>E: the length of each vector.</summary>
    public int Dimension { get; }

    /// <summary>The table, weight [V, E]: row v is the vector of id v.</summary>
    public Parameter Weight { get; }

    /// <summary>A table of <paramref name="vocabularySize"/> vectors of <paramref name="dimension"/> values, each drawn N(0, 1) from <paramref name="rng"/>.</summary>
    public Embedding(int vocabularySize, int dimension, Rng rng)
    {
        if (vocabularySize <= 0 || dimension <= 0) throw new ArgumentException($"Embedding sizes must be positive, got {vocabularySize}×{dimension}.");
        VocabularySize = vocabularySize;
        Dimension = dimension;
        Weight = new Parameter("weight", new Tensor(vocabularySize, dimension));
        var w = Weight.Value.Data;
        for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextGaussian();
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() => [("weight", Weight)];

    /// <summary>No effect: an embedding has no dropout.</summary>
    public bool Training { get; set; } = true;

    /// <inheritdoc/>
    public IReadOnlyList<Rng> DropoutRngs => [];

    /// <summary>ids [N] → rows [N, E] written into <paramref name="output"/>. The ids are kept for backward.</summary>
    public void Forward(int[] ids, Span<float> output)
    {
        int E = Dimension;
        for (int n = 0; n < ids.Length; n++)
        {
            int id = ids[n];
            if ((uint)id >= (uint)VocabularySize) throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {id} outside the vocabulary of {VocabularySize}.");
            Weight.Value.Data.AsSpan(id * E, E).CopyTo(output.Slice(n * E, E));
        }
        _ids = ids;
    }

    /// <summary>dRows [N, E] → adds into the rows of the weight gradient that forward read.</summary>
    public void Backward(ReadOnlySpan<float> dOutput)
    {
        int E = Dimension;
        var grad = Weight.Grad.Data.AsSpan();
        for (int n = 0; n < _ids.Length; n++)
        {
            var row = grad.Slice(_ids[n] * E, E);
            System.Numerics.Tensors.TensorPrimitives.Add(row, dOutput.Slice(n * E, E), row);
        }
    }
}
