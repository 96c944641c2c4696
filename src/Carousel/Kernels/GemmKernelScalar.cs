namespace Carousel.Kernels;

/// <summary>
/// Portable micro-kernel for CPUs without AVX2: a 4×4 tile in 16 scalar accumulators.
/// Packing and blocking are shared with the vector paths, so it is cache-friendly even if not wide.
/// </summary>
internal readonly unsafe struct ScalarKernel : IGemmKernel
{
    public static int MR => 4;
    public static int NR => 4;

    public static void Tile(int rows, int cols, int kc, float* a, float* b, float* c, nint ldc, bool accumulate)
    {
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int p = 0; p < kc; p++)
        {
            float b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
            float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
            c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
            c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
            c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
            c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            a += 4;
            b += 4;
        }
        float* t = stackalloc float[16]
        {
            c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33,
        };
        for (int r = 0; r < rows; r++)
        {
            float* cr = c + r * ldc, tr = t + r * 4;
            if (accumulate) for (int j = 0; j < cols; j++) cr[j] += tr[j];
            else for (int j = 0; j < cols; j++) cr[j] = tr[j];
        }
    }

    public static void Row(int n, int kc, float* a, float* b, float* c, bool accumulate)
    {
        float* t = stackalloc float[4];
        for (int j = 0; j < n; j += 4, b += (nint)kc * 4)
        {
            float x0 = 0, x1 = 0, x2 = 0, x3 = 0;
            float* bp = b;
            for (int p = 0; p < kc; p++, bp += 4)
            {
                float s = a[p];
                x0 += s * bp[0]; x1 += s * bp[1]; x2 += s * bp[2]; x3 += s * bp[3];
            }
            t[0] = x0; t[1] = x1; t[2] = x2; t[3] = x3;
            int cols = Math.Min(4, n - j);
            float* cj = c + j;
            if (accumulate) for (int q = 0; q < cols; q++) cj[q] += t[q];
            else for (int q = 0; q < cols; q++) cj[q] = t[q];
        }
    }
}
