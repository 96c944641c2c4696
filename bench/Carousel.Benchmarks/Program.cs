using BenchmarkDotNet.Running;
using Carousel.Benchmarks;

// gemm-quick [options]   Stopwatch best-of-N table (see GemmQuick)
// sample-quick [options] batch-1 sampling, general forward vs stepper, 1 and 2 threads, interleaved (see SampleQuick)
// gemm [BDN options]     BenchmarkDotNet: GFLOP/s for squares and recurrent shapes
// [BDN options]          any benchmark in this assembly (e.g. --filter '*Gemm*')
if (args.Length > 0 && args[0] == "gemm-quick") return GemmQuick.Run(args[1..]);
if (args.Length > 0 && args[0] == "sample-quick") return SampleQuick.Run(args[1..]);
if (args.Length > 0 && args[0] == "gemm")
{
    BenchmarkRunner.Run<GemmBenchmarks>(args: args[1..]);
    return 0;
}
if (args.Length > 0 && args[0].StartsWith('-'))
{
    BenchmarkSwitcher.FromAssembly(typeof(GemmBenchmarks).Assembly).Run(args);
    return 0;
}
Console.Error.WriteLine("usage: Carousel.Benchmarks gemm-quick [--path avx512|avx2|scalar] [--threads N] [--samples N]");
Console.Error.WriteLine("                              [--square-only|--recurrent-only|--kernel|--pack|--bandwidth]");
Console.Error.WriteLine("       Carousel.Benchmarks sample-quick [--cells \"lstm gru rnn\"] [--hidden \"128 256 512 1024\"] [--rounds N] [--tokens N]");
Console.Error.WriteLine("       Carousel.Benchmarks gemm [BenchmarkDotNet options, e.g. --filter '*']");
return 2;
