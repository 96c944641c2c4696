namespace Carousel.Kernels;

/// <summary>How inference keeps the weights it streams once per token.</summary>
public enum WeightPrecision
{
    /// <summary>float32, as trained: results bit for bit those of the training forward.</summary>
    Float32,

    /// <summary>bfloat16 (rounded to nearest, ties to even), widened to float32 in the products: half the bytes.</summary>
    BFloat16,
}
