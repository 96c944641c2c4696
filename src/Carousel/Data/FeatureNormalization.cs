namespace Carousel.Data;

/// <summary>
/// Per-feature standardisation, x ← (x − mean) / std, with the mean and standard deviation of each feature over every
/// frame of the training sequences; saved with a model so that eval and predict scale new input the same way.
/// A feature that never varies in training has std 1 (it is only centred).
/// </summary>
/// <param name="Mean">[F] each feature's mean over the training frames.</param>
/// <param name="Std">[F] each feature's standard deviation (population), 1 where it is 0.</param>
public sealed record FeatureNormalization(float[] Mean, float[] Std)
{
    /// <summary>F: the features per frame it scales.</summary>
    public int Width => Mean.Length;

    /// <summary>Mean and standard deviation of each feature over all frames of <paramref name="sequences"/> (in double).</summary>
    public static FeatureNormalization Fit(IReadOnlyList<FrameSequence> sequences)
    {
        if (sequences.Count == 0) throw new ArgumentException("No sequences to fit a normalisation on.");
        int width = sequences[0].Width;
        var sum = new double[width];
        var squares = new double[width];
        long frames = 0;
        foreach (var s in sequences)
        {
            if (s.Width != width) throw new InvalidDataException($"{s.Source}: frames of {s.Width} features, the first sequence's have {width}.");
            for (int i = 0; i < s.Frames.Length; i++)
            {
                double v = s.Frames[i];
                sum[i % width] += v;
                squares[i % width] += v * v;
            }
            frames += s.Steps;
        }
        var mean = new float[width];
        var std = new float[width];
        for (int f = 0; f < width; f++)
        {
            double m = sum[f] / frames;
            double variance = Math.Max(0, squares[f] / frames - m * m);
            mean[f] = (float)m;
            std[f] = variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f;
        }
        return new FeatureNormalization(mean, std);
    }

    /// <summary>The frames [T, F] scaled into a new array; frames of another width are an error naming <paramref name="source"/>.</summary>
    public float[] Apply(float[] frames, int width, string source)
    {
        if (width != Width) throw new InvalidDataException($"{source}: frames of {width} features, the model reads {Width}.");
        var scaled = new float[frames.Length];
        for (int i = 0; i < frames.Length; i++)
        {
            int f = i % width;
            scaled[i] = (frames[i] - Mean[f]) / Std[f];
        }
        return scaled;
    }
}
