using Carousel.Benchmarks;

if (args.Length > 0 && args[0] == "gemm-quick") return GemmQuick.Run(args[1..]);
Console.Error.WriteLine("usage: Carousel.Benchmarks gemm-quick [options] | gemm [BenchmarkDotNet options]");
return 2;
