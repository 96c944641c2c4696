namespace Carousel.Kernels;

/// <summary>
/// A register-blocked micro-kernel: C[rows, cols] (+)= Ã · B̃ over kc steps, where Ã is a packed
/// A micro-panel (for each p, <see cref="MR"/> values of column p of op(A), rows beyond the tile unread)
/// and B̃ a packed B micro-panel (for each p, <see cref="NR"/> values of row p of op(B), zero-padded).
/// Static abstract members let the driver be one generic method that the JIT specializes per kernel.
/// <para>
/// Summation order: each element of C is one chain over p within a k block of <see cref="GemmDriver.KC"/>,
/// started from zero and then added to C. It is the same for every row, tile position, row count and
/// thread split, so results are batch-invariant: a row of C is bit-identical whether it is computed
/// alone or with others.
/// </para>
/// </summary>
internal unsafe interface IGemmKernel
{
    /// <summary>Rows of the register tile (A panel width).</summary>
    static abstract int MR { get; }

    /// <summary>Columns of the register tile (B panel width).</summary>
    static abstract int NR { get; }

    /// <summary>
    /// One tile: rows ≤ MR, cols ≤ NR, kc ≥ 1. a steps by MR floats per p, b by NR.
    /// Stores into c (row stride ldc), adding to it when <paramref name="accumulate"/>.
    /// </summary>
    static abstract void Tile(int rows, int cols, int kc, float* a, float* b, float* c, nint ldc, bool accumulate);

    /// <summary>
    /// One row of A times n columns of packed B: consecutive panels kc·NR floats apart (the m = 1 case,
    /// a GEMV over packed weights). a is contiguous (kc floats). Every column is one FMA chain over p,
    /// in the same order as <see cref="Tile"/>, so a row's result does not depend on how many rows
    /// are multiplied with it; several panels run side by side to keep enough chains in flight.
    /// </summary>
    static abstract void Row(int n, int kc, float* a, float* b, float* c, bool accumulate);
}

/// <summary>A compile-time row count: the JIT specializes a generic tile per count and drops unused rows.</summary>
internal interface IRowCount { static abstract int Value { get; } }

internal struct R1 : IRowCount { public static int Value => 1; }
internal struct R2 : IRowCount { public static int Value => 2; }
internal struct R3 : IRowCount { public static int Value => 3; }
internal struct R4 : IRowCount { public static int Value => 4; }
internal struct R5 : IRowCount { public static int Value => 5; }
internal struct R6 : IRowCount { public static int Value => 6; }
internal struct R7 : IRowCount { public static int Value => 7; }
internal struct R8 : IRowCount { public static int Value => 8; }
internal struct R9 : IRowCount { public static int Value => 9; }
internal struct R10 : IRowCount { public static int Value => 10; }
internal struct R11 : IRowCount { public static int Value => 11; }
internal struct R12 : IRowCount { public static int Value => 12; }
