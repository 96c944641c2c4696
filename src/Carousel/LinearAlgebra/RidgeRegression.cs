namespace Carousel.LinearAlgebra;

/// <summary>
/// Ridge regression in closed form: W = argmin Σ_t ‖W z_t − y_t‖² + λ‖W‖², solved from the normal equations
/// (Z Zᵀ + λI) Wᵀ = Z Yᵀ by Cholesky factorisation, in double. Features are accumulated one row at a time, so the
/// design matrix is never stored: memory O(D²) for D features, time O(T·D²) to accumulate and O(D³) to solve.
/// </summary>
public sealed class RidgeRegression
{
    private readonly double[] _gram;       // [D, D] Σ z zᵀ (upper and lower halves both kept)
    private readonly double[] _cross;      // [D, Out] Σ z yᵀ

    /// <summary>D, the number of features per observation (the length of z).</summary>
    public int Features { get; }

    /// <summary>The number of targets per observation (the length of y), one output row of W each.</summary>
    public int Outputs { get; }

    /// <summary>T, the number of observations added so far.</summary>
    public int Rows { get; private set; }

    /// <summary>An empty regression of <paramref name="outputs"/> targets on <paramref name="features"/> features; add observations, then solve.</summary>
    public RidgeRegression(int features, int outputs)
    {
        if (features <= 0 || outputs <= 0) throw new ArgumentException($"Ridge regression needs positive sizes, got {features} features and {outputs} outputs.");
        Features = features;
        Outputs = outputs;
        _gram = new double[features * features];
        _cross = new double[features * outputs];
    }

    /// <summary>Adds one observation: features z [D] and targets y [Out].</summary>
    public void Add(ReadOnlySpan<double> features, ReadOnlySpan<double> targets)
    {
        int D = Features, O = Outputs;
        if (features.Length != D || targets.Length != O) throw new ArgumentException($"Expected {D} features and {O} targets, got {features.Length} and {targets.Length}.");
        for (int i = 0; i < D; i++)
        {
            double zi = features[i];
            if (zi == 0) continue;
            var row = _gram.AsSpan(i * D, D);
            for (int j = i; j < D; j++) row[j] += zi * features[j];
            for (int o = 0; o < O; o++) _cross[i * O + o] += zi * targets[o];
        }
        Rows++;
    }

    /// <summary>Solves for the weights W [Out, D] with ridge <paramref name="lambda"/> (≥ 0; 0 needs Z Zᵀ positive definite).</summary>
    public double[] Solve(double lambda)
    {
        if (!(lambda >= 0) || double.IsInfinity(lambda)) throw new ArgumentException($"The ridge must be a non-negative number, got {lambda}.");
        int D = Features, O = Outputs;
        var a = new double[D * D];
        for (int i = 0; i < D; i++)
            for (int j = i; j < D; j++) a[i * D + j] = a[j * D + i] = _gram[i * D + j];
        for (int i = 0; i < D; i++) a[i * D + i] += lambda;
        CholeskyFactor(a, D);
        var weights = new double[O * D];
        var column = new double[D];
        for (int o = 0; o < O; o++)
        {
            for (int i = 0; i < D; i++) column[i] = _cross[i * O + o];
            CholeskySolve(a, D, column);
            column.CopyTo(weights.AsSpan(o * D, D));
        }
        return weights;
    }

    /// <summary>In place: the lower triangle of <paramref name="a"/> [n, n] becomes L with A = L Lᵀ.</summary>
    public static void CholeskyFactor(Span<double> a, int n)
    {
        for (int j = 0; j < n; j++)
        {
            double d = a[j * n + j];
            for (int k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
            if (!(d > 0)) throw new SettingException("Ridge", "The normal equations are not positive definite: raise Ridge.");
            double l = Math.Sqrt(d);
            a[j * n + j] = l;
            for (int i = j + 1; i < n; i++)
            {
                double s = a[i * n + j];
                for (int k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
                a[i * n + j] = s / l;
            }
        }
    }

    /// <summary>Solves L Lᵀ x = b in place, with L the lower triangle left by <see cref="CholeskyFactor"/>.</summary>
    public static void CholeskySolve(ReadOnlySpan<double> l, int n, Span<double> b)
    {
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int k = 0; k < i; k++) s -= l[i * n + k] * b[k];
            b[i] = s / l[i * n + i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double s = b[i];
            for (int k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
            b[i] = s / l[i * n + i];
        }
    }
}
