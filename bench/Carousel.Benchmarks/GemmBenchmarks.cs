using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Carousel.Kernels;

namespace Carousel.Benchmarks;

/// <summary>One GEMM shape; <see cref="ToString"/> is what BenchmarkDotNet shows in the Shape column.</summary>
public sealed record GemmShape(int Order, int M, int N, int K, bool TransA, bool TransB, bool Packed) : IComparable
{
    public double Flops => 2.0 * M * N * K;

    /// <summary>BenchmarkDotNet sorts parameter values with this: keep the declared order.</summary>
    public int CompareTo(object? other) => other is GemmShape s ? Order.CompareTo(s.Order) : 1;

    public override string ToString() => Packed
        ? $"m={M} k={K} n={N} packed{(TransB ? "" : "(NN)")}"
        : $"m={M} k={K} n={N} {(TransA ? 'T' : 'N')}{(TransB ? 'T' : 'N')}";
}

/// <summary>
/// `gemm`: BenchmarkDotNet over square products (n = 256, 512, 1024) and the per-step recurrent shapes
/// (m = 32 and m = 1 rows times W_hhᵀ [H, 4H], pre-packed; and dG·W_hh for backward), reporting
/// GFLOP/s and the share of one core's 235 GFLOP/s peak. Threads follow --threads via CAROUSEL_GEMM_THREADS.
/// </summary>
[Config(typeof(GemmConfig))]
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];
    private PackedMatrix? _packed;

    public static IEnumerable<GemmShape> Shapes()
    {
        int order = 0;
        foreach (int s in new[] { 256, 512, 1024 })
        {
            yield return new GemmShape(order++, s, s, s, false, false, false);
            yield return new GemmShape(order++, s, s, s, false, true, false);
        }
        foreach (int h in new[] { 128, 256, 512, 1024 })
        {
            yield return new GemmShape(order++, 32, 4 * h, h, false, true, true);
            yield return new GemmShape(order++, 1, 4 * h, h, false, true, true);
            yield return new GemmShape(order++, 32, h, 4 * h, false, false, true);
            yield return new GemmShape(order++, 32, 4 * h, h, false, true, false);
        }
    }

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = new(0, 1, 1, 1, false, false, false);

    [GlobalSetup]
    public void Setup()
    {
        if (Environment.GetEnvironmentVariable("CAROUSEL_GEMM_THREADS") is string t) Gemm.MaxThreads = int.Parse(t);
        var rng = new Random(1);
        _a = RandomArray(rng, Shape.M * Shape.K);
        _b = RandomArray(rng, Shape.K * Shape.N);
        _c = new float[Shape.M * Shape.N];
        // Weights are stored [n, k] (used transposed) or [k, n], as the recurrent layers keep W_hh.
        _packed = Shape.Packed
            ? Shape.TransB ? new PackedMatrix(_b, Shape.N, Shape.K, transpose: true) : new PackedMatrix(_b, Shape.K, Shape.N, transpose: false)
            : null;
    }

    [Benchmark]
    public void Multiply()
    {
        GemmShape s = Shape;
        if (_packed is not null) Gemm.Multiply(s.M, _a, s.K, _packed, _c, s.N, accumulate: false);
        else Gemm.Multiply(s.TransA, s.TransB, s.M, s.N, s.K, _a, _b, _c, accumulate: false);
    }

    private static float[] RandomArray(Random rng, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}

public sealed class GemmConfig : ManualConfig
{
    public GemmConfig()
    {
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(12));
        WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared, MethodOrderPolicy.Declared));
        WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(40));
        AddColumn(new GflopsColumn(share: false), new GflopsColumn(share: true));
        HideColumns(Column.Error, Column.StdDev);
        WithOptions(ConfigOptions.DisableLogFile);
    }
}

/// <summary>GFLOP/s from the shape's flop count and the benchmark's best (minimum) time; or its share of the peak.</summary>
public sealed class GflopsColumn(bool share) : IColumn
{
    public string Id => share ? "PeakShare" : "Gflops";
    public string ColumnName => share ? "Peak" : "GFLOP/s (best)";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => share ? 1 : 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => share
        ? $"share of one Zen 5 core's {GemmQuick.PeakGflops} GFLOP/s fp32 peak"
        : "2·m·n·k / minimum time per call";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        if (stats is null || benchmarkCase.Parameters["Shape"] is not GemmShape shape) return "-";
        double gflops = shape.Flops / stats.Min; // flops per ns = GFLOP/s
        return share ? $"{gflops / GemmQuick.PeakGflops:P0}" : $"{gflops:F1}";
    }
}
