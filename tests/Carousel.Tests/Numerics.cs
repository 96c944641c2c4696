namespace Carousel.Tests;

internal static class Numerics
{
    /// <summary>|actual − expected| ≤ absolute + relative·|expected|, with a message naming the element.</summary>
    public static void Close(double expected, double actual, double relative, double absolute, string what)
    {
        double allowed = absolute + relative * Math.Abs(expected);
        Assert.True(Math.Abs(actual - expected) <= allowed || (double.IsNaN(expected) && double.IsNaN(actual)),
            $"{what}: expected {expected:G9}, got {actual:G9} (difference {Math.Abs(actual - expected):G3} > {allowed:G3})");
    }
}
