namespace Carousel.Kernels;

/// <summary>
/// The right-hand operand of a GEMM, op(B) of shape [K, N], packed once into the micro-kernel's panel
/// layout so repeated multiplies by the same weights skip packing. Built from a row-major matrix
/// stored [rows, cols] with leading dimension ld: op(B) = matrix when not transposed (K = rows, N = cols),
/// or matrixᵀ when transposed (K = cols, N = rows).
/// <para>
/// Recurrent layers: the per-step h·W_hhᵀ uses <c>new PackedMatrix(W_hh, 4H, H, transpose: true)</c>;
/// backward's dG·W_hh uses <c>new PackedMatrix(W_hh, 4H, H, transpose: false)</c>. Call
/// <see cref="Repack(ReadOnlySpan{float})"/> after each optimizer step; it reuses the storage.
/// </para>
/// <para>Layout: k in blocks of <see cref="GemmDriver.KC"/>; block at offset pc·⌈N/NR⌉·NR holds ⌈N/NR⌉
/// panels of kc×NR floats (see <see cref="GemmPack"/>).</para>
/// </summary>
public sealed unsafe class PackedMatrix
{
    private readonly AlignedBuffer _storage = new();

    /// <summary>Rows of the source matrix.</summary>
    public int Rows { get; }

    /// <summary>Columns of the source matrix.</summary>
    public int Columns { get; }

    /// <summary>Whether op(B) is the transpose of the source.</summary>
    public bool Transposed { get; }

    /// <summary>Rows of op(B): the inner dimension of the product.</summary>
    public int K => Transposed ? Columns : Rows;

    /// <summary>Columns of op(B): columns of the product.</summary>
    public int N => Transposed ? Rows : Columns;

    internal GemmPath Path { get; }

    /// <summary>Panel width (the kernel's NR).</summary>
    internal int PanelWidth { get; }

    /// <summary>Start of the packed data (64-byte aligned, pinned).</summary>
    internal float* Data { get; }

    /// <summary>Packs a contiguous row-major matrix [rows, cols] as op(B): itself, or its transpose when <paramref name="transpose"/>.</summary>
    public PackedMatrix(ReadOnlySpan<float> matrix, int rows, int cols, bool transpose)
        : this(GemmPaths.Best, matrix, rows, cols, cols, transpose) { }

    /// <summary>Packs a row-major matrix [rows, cols] whose rows are <paramref name="ld"/> floats apart, transposed when <paramref name="transpose"/>.</summary>
    public PackedMatrix(ReadOnlySpan<float> matrix, int rows, int cols, int ld, bool transpose)
        : this(GemmPaths.Best, matrix, rows, cols, ld, transpose) { }

    internal PackedMatrix(GemmPath path, ReadOnlySpan<float> matrix, int rows, int cols, int ld, bool transpose)
    {
        if (rows < 0 || cols < 0) throw new ArgumentException($"Negative matrix size {rows}×{cols}.");
        if (!GemmPaths.IsSupported(path)) throw new PlatformNotSupportedException($"GEMM path {path} is not supported on this CPU.");
        Rows = rows;
        Columns = cols;
        Transposed = transpose;
        Path = path;
        PanelWidth = path switch { GemmPath.Avx512 => Avx512Kernel.NR, GemmPath.Avx2 => Avx2Kernel.NR, _ => ScalarKernel.NR };
        Data = _storage.Get(Math.Max(1, (long)K * GemmDriver.RoundUp(N, PanelWidth)));
        Repack(matrix, ld);
    }

    /// <summary>Packs new values of a contiguous source of the same shape into the same storage.</summary>
    public void Repack(ReadOnlySpan<float> matrix) => Repack(matrix, Columns);

    /// <summary>Packs new values of a source of the same shape (row stride <paramref name="ld"/>) into the same storage.</summary>
    public void Repack(ReadOnlySpan<float> matrix, int ld)
    {
        if (ld < Columns) throw new ArgumentException("Leading dimension smaller than the row length.");
        if (Rows > 0 && Columns > 0 && (long)(Rows - 1) * ld + Columns > matrix.Length)
            throw new ArgumentException("Matrix is too small for its shape.");
        int k = K, n = N, nr = PanelWidth;
        if (k == 0 || n == 0) return;
        long blockStride = GemmDriver.RoundUp(n, nr);
        fixed (float* src = matrix)
        {
            for (int pc = 0; pc < k; pc += GemmDriver.KC)
            {
                int kc = Math.Min(GemmDriver.KC, k - pc);
                // op(B)[pc.., 0..]: copy layout from row pc, or transposed layout from column pc.
                float* s = Transposed ? src + pc : src + (nint)pc * ld;
                GemmPack.Block(Transposed, s, ld, n, kc, Data + pc * blockStride, nr, Path != GemmPath.Scalar);
            }
        }
    }

    /// <summary>The packed shape and instruction-set path for debugging, e.g. "PackedMatrix[512, 2048] (Avx512)".</summary>
    public override string ToString() => $"PackedMatrix[{K}, {N}] ({Path})";
}
