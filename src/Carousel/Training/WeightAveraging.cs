using Carousel.Tensors;

namespace Carousel.Training;

/// <summary>
/// Checkpoint averaging: the element-wise mean of the same model's weights at several points of training (e.g. the last
/// epochs), which usually scores better than any one of them (Vaswani et al. 2017; Junczys-Dowmunt et al. 2016).
/// </summary>
public static class WeightAveraging
{
    /// <summary>
    /// Sets every parameter of <paramref name="into"/> to the mean of the same-named parameters of <paramref name="sources"/>
    /// (summed in double). All must have the same names and shapes, in the same order; <paramref name="into"/> may be one of them.
    /// </summary>
    public static void Average(IReadOnlyList<IReadOnlyList<(string Name, Parameter Parameter)>> sources, IReadOnlyList<(string Name, Parameter Parameter)> into)
    {
        if (sources.Count == 0) throw new ArgumentException("Averaging needs at least one set of weights.");
        foreach (var source in sources)
        {
            if (source.Count != into.Count) throw new InvalidDataException($"The models differ: {source.Count} parameters against {into.Count}.");
            for (int i = 0; i < into.Count; i++)
                if (source[i].Name != into[i].Name || source[i].Parameter.Value.Length != into[i].Parameter.Value.Length)
                    throw new InvalidDataException($"The models differ at parameter {i}: {source[i].Name} against {into[i].Name}.");
        }
        for (int i = 0; i < into.Count; i++)
        {
            var sum = new double[into[i].Parameter.Value.Length];
            foreach (var source in sources)
            {
                var values = source[i].Parameter.Value.Data;
                for (int j = 0; j < sum.Length; j++) sum[j] += values[j];
            }
            var target = into[i].Parameter.Value.Data;
            for (int j = 0; j < sum.Length; j++) target[j] = (float)(sum[j] / sources.Count);
            into[i].Parameter.MarkChanged();
        }
    }
}
