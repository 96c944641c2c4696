namespace Carousel.Optimizers;

/// <summary>What one Hessian-free step did.</summary>
/// <param name="LossBefore">f(θ) on the gradient batch.</param>
/// <param name="LossAfter">f(θ + α·p) on the gradient batch, after the step (LossBefore when the step was refused).</param>
/// <param name="CgIterations">CG iterations run.</param>
/// <param name="ChosenIteration">The CG iterate taken after backtracking (Martens 2010, §4.6).</param>
/// <param name="Rho">ρ = (f(θ + p) − f(θ)) / (q(p) − q(0)), the reduction ratio of the chosen iterate.</param>
/// <param name="Damping">λ after this step's adjustment.</param>
/// <param name="StepSize">α from the line search (1 when the full step was good enough; 0 when no step was taken).</param>
public sealed record HessianFreeStep(double LossBefore, double LossAfter, int CgIterations, int ChosenIteration, double Rho, float Damping, float StepSize);

/// <summary>
/// Hessian-free optimisation (Martens 2010; Martens &amp; Sutskever 2011), one update rule: at θ, minimise the damped
/// quadratic model q(p) = gᵀp + ½·pᵀ(G + λI + λμS)p by conjugate gradient, with G the Gauss-Newton matrix and S the
/// structural-damping curvature, using only products (<see cref="ICurvatureProducts"/>). Martens' details: CG starts from
/// ζ times the previous step's last iterate; it stops by the relative progress of φ over the last k = max(10, 0.1·i)
/// iterations; the iterates at ⌈1.3^j⌉ are kept and the step backtracks to the one with the lowest loss on the gradient
/// batch; λ follows the reduction ratio ρ (×3/2 when ρ &lt; 1/4, ×2/3 when ρ &gt; 3/4); an Armijo line search shortens a
/// step that still does not lower the loss enough. Vectors are double; the products are the model's (float).
/// </summary>
public sealed class HessianFree
{
    private const double IterateSpacing = 1.3, ArmijoC = 1e-2, ArmijoShrink = 0.8;
    private const int MaxLineSearchTries = 60;

    private readonly HessianFreeSettings _settings;
    private readonly double[] _previous; // the last CG iterate of the previous step, the next warm start (before decay)
    private readonly float[] _vector, _product; // [n] the float vectors the model's products take and give

    /// <summary>An optimiser for a model of <paramref name="dimension"/> weights.</summary>
    public HessianFree(HessianFreeSettings settings, int dimension)
    {
        settings.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        _settings = settings;
        Damping = settings.InitialDamping;
        _previous = new double[dimension];
        _vector = new float[dimension];
        _product = new float[dimension];
    }

    /// <summary>λ, the current Levenberg–Marquardt damping.</summary>
    public float Damping { get; private set; }

    /// <summary>The steps taken so far.</summary>
    public long Steps { get; private set; }

    /// <summary>One step: gradient, CG on the damped Gauss-Newton model, backtracking, λ update, line search, update of the weights.</summary>
    public HessianFreeStep Step(ICurvatureProducts model)
    {
        int n = _previous.Length;
        if (model.Dimension != n) throw new ArgumentException($"The model has {model.Dimension} weights, this optimiser {n}.");
        var gradient = new float[n];
        double f0 = model.LossAndGradient(gradient);
        var b = new double[n]; // −g: CG solves A·p = −g
        for (int i = 0; i < n; i++) b[i] = -gradient[i];
        float lambda = Damping, structural = Damping * _settings.StructuralDamping;

        // A·v = (G + λμS)·v + λ·v
        void Multiply(ReadOnlySpan<double> v, Span<double> result)
        {
            for (int i = 0; i < n; i++) _vector[i] = (float)v[i];
            model.CurvatureProduct(_vector, structural, _product);
            for (int i = 0; i < n; i++) result[i] = _product[i] + lambda * v[i];
        }

        var (iterates, iterations) = ConjugateGradient(Multiply, b);
        double[] last = iterates[^1].X;
        Array.Copy(last, _previous, n);

        // Backtracking (Martens 2010, §4.6): from the last iterate back, while an earlier one has a lower loss.
        int chosen = iterates.Count - 1;
        double fChosen = LossAt(model, iterates[chosen].X, 1);
        for (int k = chosen - 1; k >= 0; k--)
        {
            double f = LossAt(model, iterates[k].X, 1);
            if (!(f < fChosen)) break;
            chosen = k;
            fChosen = f;
        }
        var p = iterates[chosen].X;

        // ρ against the undamped model q(p) − q(0) = gᵀp + ½·pᵀGp.
        for (int i = 0; i < n; i++) _vector[i] = (float)p[i];
        model.CurvatureProduct(_vector, 0f, _product);
        double gp = 0, pGp = 0;
        for (int i = 0; i < n; i++) { gp += gradient[i] * p[i]; pGp += p[i] * _product[i]; }
        double predicted = gp + 0.5 * pGp;
        double rho = double.IsFinite(fChosen) && predicted < 0 ? (fChosen - f0) / predicted : double.NegativeInfinity;
        if (rho < 0.25) Damping *= 1.5f;
        else if (rho > 0.75) Damping *= 2f / 3f;

        // Armijo line search along p (Martens' code): shorten until f falls by at least c·α·gᵀp.
        double alpha = 1, fNew = fChosen;
        if (_settings.LineSearch)
        {
            int tries = 0;
            while (!(fNew <= f0 + ArmijoC * alpha * Math.Min(gp, 0)) && ++tries <= MaxLineSearchTries)
            {
                alpha *= ArmijoShrink;
                fNew = LossAt(model, p, alpha);
            }
            if (tries > MaxLineSearchTries) { alpha = 0; fNew = f0; }
        }
        else if (!(fNew < f0) || !double.IsFinite(fNew)) { alpha = 0; fNew = f0; }
        if (alpha > 0)
        {
            for (int i = 0; i < n; i++) _vector[i] = (float)(alpha * p[i]);
            model.AddToWeights(_vector);
        }
        Steps++;
        return new HessianFreeStep(f0, fNew, iterations, iterates[chosen].Iteration, rho, Damping, (float)alpha);
    }

    private double LossAt(ICurvatureProducts model, double[] p, double scale)
    {
        for (int i = 0; i < p.Length; i++) _vector[i] = (float)(scale * p[i]);
        double f = model.LossAt(_vector);
        return double.IsNaN(f) ? double.PositiveInfinity : f;
    }

    /// <summary>
    /// Preconditioner-free CG on A·x = b from x₀ = ζ·(previous solution), keeping the iterates at ⌈1.3^j⌉ and the last.
    /// φ(x) = ½xᵀAx − bᵀx = −½·xᵀ(b + r) with r = b − A·x, tracked for Martens' stopping test.
    /// </summary>
    private (List<(int Iteration, double[] X)> Iterates, int Iterations) ConjugateGradient(MultiplyBy multiply, double[] b)
    {
        int n = b.Length;
        var x = new double[n];
        for (int i = 0; i < n; i++) x[i] = _settings.CgDecay * _previous[i];
        var r = new double[n];
        var ax = new double[n];
        multiply(x, ax);
        for (int i = 0; i < n; i++) r[i] = b[i] - ax[i];
        var p = (double[])r.Clone();
        var ap = new double[n];
        double rr = Dot(r, r);
        var phi = new List<double> { Phi(x, b, r) };
        var kept = new List<(int, double[])>();
        double nextKeep = 1;
        int iteration = 0;
        while (iteration < _settings.MaxCgIterations)
        {
            multiply(p, ap);
            double pAp = Dot(p, ap);
            if (!(pAp > 0) || rr == 0) break; // A is positive definite (λ > 0): only a zero residual or a float breakdown ends here
            double step = rr / pAp;
            for (int i = 0; i < n; i++) { x[i] += step * p[i]; r[i] -= step * ap[i]; }
            iteration++;
            phi.Add(Phi(x, b, r));
            if (iteration >= Math.Ceiling(nextKeep))
            {
                kept.Add((iteration, (double[])x.Clone()));
                while (Math.Ceiling(nextKeep) <= iteration) nextKeep *= IterateSpacing;
            }
            // Martens' test: the relative progress over the last k iterations is below k·ε.
            int k = Math.Max(10, (int)(0.1 * iteration));
            if (iteration >= _settings.MinCgIterations && iteration > k && phi[iteration] < 0
                && (phi[iteration] - phi[iteration - k]) / phi[iteration] < k * _settings.CgTolerance)
                break;
            double rrNew = Dot(r, r);
            double beta = rrNew / rr;
            rr = rrNew;
            for (int i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
        }
        if (kept.Count == 0 || kept[^1].Item1 != iteration) kept.Add((iteration, (double[])x.Clone()));
        return (kept, iteration);
    }

    private delegate void MultiplyBy(ReadOnlySpan<double> v, Span<double> result);

    private static double Phi(double[] x, double[] b, double[] r)
    {
        double s = 0;
        for (int i = 0; i < x.Length; i++) s += x[i] * (b[i] + r[i]);
        return -0.5 * s;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
