using Carousel.Tensors;

namespace Carousel.Layers.Recurrent;

/// <summary>How a recurrent stack draws its weights (the CLI's --init).</summary>
public enum RecurrentInit
{
    /// <summary>PyTorch's: U(−1/√H, 1/√H) for every weight and bias.</summary>
    PyTorch,
    /// <summary>
    /// Glorot and Bengio's (torch.nn.init.xavier_uniform_ on each whole matrix): weight_ih [G·H, In] and weight_hh [G·H, H]
    /// from U(−a, a) with a = √(6 / (fan_in + fan_out)); biases (and peepholes) zero.
    /// </summary>
    Xavier,
    /// <summary>weight_ih as <see cref="Xavier"/>; each gate's H × H block of weight_hh a random orthogonal matrix (Saxe et al. 2014); biases zero.</summary>
    Orthogonal,
}

/// <summary>Draws a recurrent layer's weights as a <see cref="RecurrentInit"/> says.</summary>
public static class RecurrentInitializer
{
    /// <summary>The names the CLI accepts, in the order of <see cref="RecurrentInit"/>.</summary>
    public const string Names = "pytorch, xavier, orthogonal";

    /// <summary>The value for a CLI name (pytorch, xavier, orthogonal), or null.</summary>
    public static RecurrentInit? Parse(string name) => name.ToLowerInvariant() switch
    {
        "pytorch" or "default" => RecurrentInit.PyTorch,
        "xavier" or "glorot" => RecurrentInit.Xavier,
        "orthogonal" => RecurrentInit.Orthogonal,
        _ => null,
    };

    /// <summary>The CLI name of <paramref name="init"/>.</summary>
    public static string ToCliName(this RecurrentInit init) => init.ToString().ToLowerInvariant();

    /// <summary>values [rows, columns] ← U(−a, a), a = √(6 / (rows + columns)): Xavier/Glorot uniform.</summary>
    public static void FillXavier(Span<float> values, int rows, int columns, Rng rng)
    {
        float bound = MathF.Sqrt(6f / (rows + columns));
        rng.FillUniform(values, -bound, bound);
    }

    /// <summary>
    /// matrix [n, n] ← an echo-state-style recurrent matrix (Jaeger 2001; Sutskever, Martens, Dahl &amp; Hinton 2013): each row
    /// has <paramref name="connections"/> non-zeros (at distinct random columns, all of them when n is smaller) drawn from
    /// N(0, 1), and the whole is scaled so that its spectral radius — its largest |eigenvalue|, computed exactly
    /// (<see cref="LinearAlgebra.Eigenvalues"/>) — is <paramref name="spectralRadius"/>. Returns the radius as drawn.
    /// </summary>
    public static double FillEchoState(Span<float> matrix, int n, double spectralRadius, int connections, Rng rng)
    {
        if (matrix.Length != n * n) throw new ArgumentException($"Expected a [{n}, {n}] matrix, got {matrix.Length} values.");
        if (!(spectralRadius > 0) || !double.IsFinite(spectralRadius)) throw new ArgumentOutOfRangeException(nameof(spectralRadius), spectralRadius, "The spectral radius must be positive.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(connections);
        var values = new double[n * n];
        var columns = new int[n];
        for (int i = 0; i < n; i++)
        {
            // A partial Fisher-Yates shuffle picks min(connections, n) distinct columns.
            for (int c = 0; c < n; c++) columns[c] = c;
            for (int k = 0; k < Math.Min(connections, n); k++)
            {
                int pick = k + rng.NextInt(n - k);
                (columns[k], columns[pick]) = (columns[pick], columns[k]);
                values[i * n + columns[k]] = rng.NextGaussian();
            }
        }
        double drawn = LinearAlgebra.Eigenvalues.SpectralRadius(values, n);
        if (drawn == 0) throw new InvalidOperationException("The drawn recurrent matrix is nilpotent (spectral radius 0); draw again with another seed or more connections.");
        for (int i = 0; i < values.Length; i++) matrix[i] = (float)(values[i] * spectralRadius / drawn);
        return drawn;
    }

    /// <summary>
    /// matrix [n, n] ← a random orthogonal matrix: the Q of a Gaussian matrix's QR decomposition (modified Gram-Schmidt
    /// in double, over its rows) with each row's sign fixed by R's diagonal, as torch.nn.init.orthogonal_ does.
    /// </summary>
    public static void FillOrthogonal(Span<float> matrix, int n, Rng rng)
    {
        var q = new double[n * n];
        for (int i = 0; i < q.Length; i++) q[i] = rng.NextGaussian();
        for (int i = 0; i < n; i++)
        {
            var row = q.AsSpan(i * n, n);
            for (int j = 0; j < i; j++)
            {
                var previous = q.AsSpan(j * n, n);
                double dot = 0;
                for (int c = 0; c < n; c++) dot += row[c] * previous[c];
                for (int c = 0; c < n; c++) row[c] -= dot * previous[c];
            }
            double norm = 0;
            for (int c = 0; c < n; c++) norm += row[c] * row[c];
            norm = Math.Sqrt(norm);
            // R's diagonal is the norm (positive) in Gram-Schmidt: the sign is already fixed.
            for (int c = 0; c < n; c++) matrix[i * n + c] = (float)(row[c] /= norm);
        }
    }
}
