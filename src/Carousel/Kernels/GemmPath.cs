using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Carousel.Kernels;

/// <summary>
/// The instruction set a GEMM runs on. <see cref="GemmPaths.Best"/> is chosen once from the hardware;
/// tests force each supported path through the internal overloads that take one.
/// </summary>
internal enum GemmPath
{
    /// <summary>Plain scalar code: any CPU.</summary>
    Scalar,
    /// <summary>Vector256 micro-kernel (6×16 tile): AVX2 + FMA.</summary>
    Avx2,
    /// <summary>Vector512 micro-kernel (12×32 tile): AVX-512F.</summary>
    Avx512,
}

internal static class GemmPaths
{
    /// <summary>The fastest path this machine supports.</summary>
    public static GemmPath Best { get; } =
        IsSupported(GemmPath.Avx512) ? GemmPath.Avx512 :
        IsSupported(GemmPath.Avx2) ? GemmPath.Avx2 : GemmPath.Scalar;

    public static bool IsSupported(GemmPath path) => path switch
    {
        GemmPath.Scalar => true,
        GemmPath.Avx2 => Avx2.IsSupported && Fma.IsSupported,
        GemmPath.Avx512 => Avx512F.IsSupported && Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary>All paths this machine can run (for tests and benchmarks).</summary>
    public static GemmPath[] Supported { get; } =
        [.. Enum.GetValues<GemmPath>().Where(IsSupported)];
}
