namespace Carousel.Data.Tasks;

/// <summary>
/// The target of the sequence-generation task after the clockwork RNN paper (Koutník, Greff, Gomez &amp; Schmidhuber 2014,
/// §4.1, which used a 320-sample audio snippet): a deterministic waveform of T steps mixing four timescales, each with
/// its own envelope, s = t / T:
/// <code>
/// w(t) = sin(2πt/60)·(0.5 + 0.5·sin(πs))      slow tone, swelling in the middle
///      + 0.6·sin(2πt/17 + 1)·e^(−2s)           middle tone, decaying
///      + 0.4·sin(2πt/6.5)·s²                   fast tone, growing
///      + 0.3·sin(2πt/150)                      slowest drift
/// </code>
/// scaled to zero mean and unit variance over the T steps, so that the mean squared error of a prediction is its
/// normalised MSE (MSE / variance of the target), the paper's measure. The network gets no input: it must generate w.
/// </summary>
public static class Waveform
{
    /// <summary>The paper's length: 320 steps.</summary>
    public const int DefaultLength = 320;

    /// <summary>w(0), …, w(T − 1), zero mean and unit variance.</summary>
    public static float[] Generate(int steps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 2);
        var w = new double[steps];
        for (int t = 0; t < steps; t++)
        {
            double s = (double)t / steps;
            w[t] = Math.Sin(2 * Math.PI * t / 60) * (0.5 + 0.5 * Math.Sin(Math.PI * s))
                   + 0.6 * Math.Sin(2 * Math.PI * t / 17 + 1) * Math.Exp(-2 * s)
                   + 0.4 * Math.Sin(2 * Math.PI * t / 6.5) * s * s
                   + 0.3 * Math.Sin(2 * Math.PI * t / 150);
        }
        double mean = w.Average();
        double sd = Math.Sqrt(w.Sum(v => (v - mean) * (v - mean)) / steps);
        return [.. w.Select(v => (float)((v - mean) / sd))];
    }
}
