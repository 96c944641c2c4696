using System.Numerics.Tensors;

namespace Carousel.Kernels;

/// <summary>Bias handling for row-major matrices [rows, n]: adding a vector to each row, and its backward, the column sums.</summary>
internal static class MatrixRows
{
    /// <summary>matrix [rows, n] += vector [n] on every row.</summary>
    public static void AddToEachRow(Span<float> matrix, ReadOnlySpan<float> vector, int rows)
    {
        int n = vector.Length;
        for (int r = 0; r < rows; r++)
        {
            var row = matrix.Slice(r * n, n);
            TensorPrimitives.Add(row, vector, row);
        }
    }

    /// <summary>sums [n] += Σ over rows of matrix [rows, n].</summary>
    public static void AddColumnSums(ReadOnlySpan<float> matrix, int rows, Span<float> sums)
    {
        int n = sums.Length;
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(sums, matrix.Slice(r * n, n), sums);
    }
}
