namespace Carousel.LinearAlgebra;

/// <summary>
/// Eigenvalues of a real square matrix, for the spectral radius of an echo state network's reservoir. The matrix is
/// reduced to upper Hessenberg form by stabilised elementary similarity transforms (Gaussian elimination with
/// pivoting), then the Hessenberg matrix is driven to quasi-triangular form by the shifted QR algorithm with
/// Francis double shifts, as EISPACK's elmhes and hqr do (Wilkinson &amp; Reinsch, Handbook for Automatic Computation
/// II, 1971). Real and complex eigenvalues alike come out; unlike power iteration it does not stall when the largest
/// eigenvalues are a complex pair, which is the common case for random reservoirs. Cost O(n³), in double.
/// </summary>
public static class Eigenvalues
{
    /// <summary>max |λ| over the eigenvalues of <paramref name="matrix"/> [n, n] (row-major).</summary>
    public static double SpectralRadius(ReadOnlySpan<double> matrix, int n)
    {
        var (re, im) = Compute(matrix, n);
        double radius = 0;
        for (int i = 0; i < n; i++) radius = Math.Max(radius, Math.Sqrt(re[i] * re[i] + im[i] * im[i]));
        return radius;
    }

    /// <summary>The eigenvalues (real parts, imaginary parts) of <paramref name="matrix"/> [n, n] (row-major), in no particular order.</summary>
    public static (double[] Real, double[] Imaginary) Compute(ReadOnlySpan<double> matrix, int n)
    {
        if (n <= 0 || matrix.Length != n * n) throw new ArgumentException($"Expected a square matrix of {n}×{n} values, got {matrix.Length}.");
        // 1-based working copy, as in the Handbook's algorithms, so the index arithmetic reads like the original.
        var a = new double[n + 1, n + 1];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double v = matrix[i * n + j];
                if (!double.IsFinite(v)) throw new ArgumentException("The matrix has a value that is not finite.");
                a[i + 1, j + 1] = v;
            }
        ReduceToHessenberg(a, n);
        var re = new double[n + 1];
        var im = new double[n + 1];
        HessenbergQr(a, n, re, im);
        return (re[1..], im[1..]);
    }

    // elmhes: similarity transforms that zero column m−1 below the subdiagonal, pivoting on the largest element.
    private static void ReduceToHessenberg(double[,] a, int n)
    {
        for (int m = 2; m < n; m++)
        {
            double x = 0;
            int pivot = m;
            for (int j = m; j <= n; j++)
                if (Math.Abs(a[j, m - 1]) > Math.Abs(x)) { x = a[j, m - 1]; pivot = j; }
            if (pivot != m)
            {
                for (int j = m - 1; j <= n; j++) (a[pivot, j], a[m, j]) = (a[m, j], a[pivot, j]);
                for (int j = 1; j <= n; j++) (a[j, pivot], a[j, m]) = (a[j, m], a[j, pivot]);
            }
            if (x == 0) continue;
            for (int i = m + 1; i <= n; i++)
            {
                double y = a[i, m - 1];
                if (y == 0) continue;
                y /= x;
                a[i, m - 1] = 0; // the multiplier is not kept: only the eigenvalues are wanted
                for (int j = m; j <= n; j++) a[i, j] -= y * a[m, j];
                for (int j = 1; j <= n; j++) a[j, m] += y * a[j, i];
            }
        }
    }

    // hqr: eigenvalues of an upper Hessenberg matrix; a is destroyed.
    private static void HessenbergQr(double[,] a, int n, double[] wr, double[] wi)
    {
        double anorm = 0;
        for (int i = 1; i <= n; i++)
            for (int j = Math.Max(i - 1, 1); j <= n; j++) anorm += Math.Abs(a[i, j]);
        int nn = n, l;
        double t = 0, p = 0, q = 0, r = 0, x, y, z, w, s;
        while (nn >= 1)
        {
            int its = 0;
            do
            {
                // Look for a single small subdiagonal element to split the matrix.
                for (l = nn; l >= 2; l--)
                {
                    s = Math.Abs(a[l - 1, l - 1]) + Math.Abs(a[l, l]);
                    if (s == 0) s = anorm;
                    if (Math.Abs(a[l, l - 1]) + s == s) { a[l, l - 1] = 0; break; }
                }
                x = a[nn, nn];
                if (l == nn)
                {
                    // One root found.
                    wr[nn] = x + t;
                    wi[nn--] = 0;
                }
                else
                {
                    y = a[nn - 1, nn - 1];
                    w = a[nn, nn - 1] * a[nn - 1, nn];
                    if (l == nn - 1)
                    {
                        // Two roots found: of the trailing 2×2 block.
                        p = 0.5 * (y - x);
                        q = p * p + w;
                        z = Math.Sqrt(Math.Abs(q));
                        x += t;
                        if (q >= 0)
                        {
                            z = p + (p >= 0 ? Math.Abs(z) : -Math.Abs(z));
                            wr[nn - 1] = wr[nn] = x + z;
                            if (z != 0) wr[nn] = x - w / z;
                            wi[nn - 1] = wi[nn] = 0;
                        }
                        else
                        {
                            wr[nn - 1] = wr[nn] = x + p;
                            wi[nn - 1] = -(wi[nn] = z);
                        }
                        nn -= 2;
                    }
                    else
                    {
                        if (its == 60) throw new InvalidOperationException("The QR iteration did not converge.");
                        if (its == 10 || its == 20 || its == 40)
                        {
                            // Exceptional shift.
                            t += x;
                            for (int i = 1; i <= nn; i++) a[i, i] -= x;
                            s = Math.Abs(a[nn, nn - 1]) + Math.Abs(a[nn - 1, nn - 2]);
                            y = x = 0.75 * s;
                            w = -0.4375 * s * s;
                        }
                        ++its;
                        int m;
                        // Form the shift and look for two consecutive small subdiagonal elements.
                        for (m = nn - 2; m >= l; m--)
                        {
                            z = a[m, m];
                            r = x - z;
                            s = y - z;
                            p = (r * s - w) / a[m + 1, m] + a[m, m + 1];
                            q = a[m + 1, m + 1] - z - r - s;
                            r = a[m + 2, m + 1];
                            s = Math.Abs(p) + Math.Abs(q) + Math.Abs(r);
                            p /= s; q /= s; r /= s;
                            if (m == l) break;
                            double u = Math.Abs(a[m, m - 1]) * (Math.Abs(q) + Math.Abs(r));
                            double v = Math.Abs(p) * (Math.Abs(a[m - 1, m - 1]) + Math.Abs(z) + Math.Abs(a[m + 1, m + 1]));
                            if (u + v == v) break;
                        }
                        for (int i = m + 2; i <= nn; i++)
                        {
                            a[i, i - 2] = 0;
                            if (i != m + 2) a[i, i - 3] = 0;
                        }
                        // Double QR step on rows l..nn and columns m..nn.
                        for (int k = m; k <= nn - 1; k++)
                        {
                            if (k != m)
                            {
                                p = a[k, k - 1];
                                q = a[k + 1, k - 1];
                                r = 0;
                                if (k != nn - 1) r = a[k + 2, k - 1];
                                if ((x = Math.Abs(p) + Math.Abs(q) + Math.Abs(r)) != 0)
                                {
                                    p /= x; q /= x; r /= x;
                                }
                            }
                            double norm = Math.Sqrt(p * p + q * q + r * r);
                            if ((s = p >= 0 ? norm : -norm) != 0)
                            {
                                if (k == m)
                                {
                                    if (l != m) a[k, k - 1] = -a[k, k - 1];
                                }
                                else a[k, k - 1] = -s * x;
                                p += s;
                                x = p / s; y = q / s; z = r / s;
                                q /= p; r /= p;
                                for (int j = k; j <= nn; j++)
                                {
                                    p = a[k, j] + q * a[k + 1, j];
                                    if (k != nn - 1)
                                    {
                                        p += r * a[k + 2, j];
                                        a[k + 2, j] -= p * z;
                                    }
                                    a[k + 1, j] -= p * y;
                                    a[k, j] -= p * x;
                                }
                                int last = nn < k + 3 ? nn : k + 3;
                                for (int i = l; i <= last; i++)
                                {
                                    p = x * a[i, k] + y * a[i, k + 1];
                                    if (k != nn - 1)
                                    {
                                        p += z * a[i, k + 2];
                                        a[i, k + 2] -= p * r;
                                    }
                                    a[i, k + 1] -= p * q;
                                    a[i, k] -= p;
                                }
                            }
                        }
                    }
                }
            } while (l < nn - 1);
        }
    }
}
