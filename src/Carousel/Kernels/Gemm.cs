using System.Numerics.Tensors;

namespace Carousel.Kernels;

/// <summary>
/// Single-precision matrix multiply on row-major storage:
/// C[m, n] = (accumulate ? C : 0) + op(A) · op(B), where op(A) is [m, k] and op(B) is [k, n].
/// A is stored [m, k] (lda ≥ k), or [k, m] when <paramref name="transA"/> (lda ≥ m);
/// B is stored [k, n] (ldb ≥ n), or [n, k] when <paramref name="transB"/> (ldb ≥ k).
/// The recurrent layers need: X·Wᵀ (transB), dG·W (none), dGᵀ·X (transA).
/// </summary>
public static class Gemm
{
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        Span<float> c, int ldc, bool accumulate)
    {
        CheckArguments(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        if (!accumulate)
            for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
        if (k == 0) return;

        if (!transA && transB)
        {
            // C[i, j] += dot(A row i, B row j)
            for (int i = 0; i < m; i++)
            {
                var aRow = a.Slice(i * lda, k);
                var cRow = c.Slice(i * ldc, n);
                for (int j = 0; j < n; j++) cRow[j] += TensorPrimitives.Dot(aRow, b.Slice(j * ldb, k));
            }
        }
        else if (!transA)
        {
            // C row i += A[i, p] · B row p
            for (int i = 0; i < m; i++)
            {
                var cRow = c.Slice(i * ldc, n);
                for (int p = 0; p < k; p++)
                {
                    float aip = a[i * lda + p];
                    if (aip != 0f) TensorPrimitives.MultiplyAdd(b.Slice(p * ldb, n), aip, cRow, cRow);
                }
            }
        }
        else if (!transB)
        {
            // C row i += A[p, i] · B row p
            for (int p = 0; p < k; p++)
            {
                var bRow = b.Slice(p * ldb, n);
                for (int i = 0; i < m; i++)
                {
                    float api = a[p * lda + i];
                    if (api != 0f)
                    {
                        var cRow = c.Slice(i * ldc, n);
                        TensorPrimitives.MultiplyAdd(bRow, api, cRow, cRow);
                    }
                }
            }
        }
        else
        {
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float sum = 0;
                    for (int p = 0; p < k; p++) sum += a[p * lda + i] * b[j * ldb + p];
                    c[i * ldc + j] += sum;
                }
        }
    }

    /// <summary>Contiguous operands (lda, ldb, ldc equal to the stored row lengths).</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate) =>
        Multiply(transA, transB, m, n, k, a, transA ? m : k, b, transB ? k : n, c, n, accumulate);

    internal static void CheckArguments(bool transA, bool transB, int m, int n, int k,
        int aLength, int lda, int bLength, int ldb, int cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"Negative GEMM size m={m} n={n} k={k}.");
        int aRows = transA ? k : m, aCols = transA ? m : k;
        int bRows = transB ? n : k, bCols = transB ? k : n;
        if (lda < aCols || ldb < bCols || ldc < n) throw new ArgumentException("Leading dimension smaller than the row length.");
        if (aRows > 0 && aCols > 0 && (long)(aRows - 1) * lda + aCols > aLength) throw new ArgumentException("A is too small for its shape.");
        if (bRows > 0 && bCols > 0 && (long)(bRows - 1) * ldb + bCols > bLength) throw new ArgumentException("B is too small for its shape.");
        if (m > 0 && n > 0 && (long)(m - 1) * ldc + n > cLength) throw new ArgumentException("C is too small for its shape.");
    }
}
