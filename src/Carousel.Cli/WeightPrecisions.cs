using System.CommandLine;
using Carousel.Kernels;

namespace Carousel.Cli;

/// <summary>The `--weights fp32|bf16` option of the inference commands, and its names.</summary>
internal static class WeightPrecisions
{
    public static Option<string> Option(string? description = null) => new("--weights")
    {
        Description = description ?? "How the weights streamed per character are kept: fp32 (exact) or bf16 (half the bytes, rounded; needs the batch-1 path: not for peephole LSTMs).",
        DefaultValueFactory = _ => "fp32",
    };

    public static WeightPrecision Parse(string name) => name switch
    {
        "fp32" => WeightPrecision.Float32,
        "bf16" => WeightPrecision.BFloat16,
        _ => throw new UsageException($"--weights must be fp32 or bf16, got '{name}'."),
    };

    public static string Name(WeightPrecision precision) => precision == WeightPrecision.BFloat16 ? "bf16" : "fp32";
}
