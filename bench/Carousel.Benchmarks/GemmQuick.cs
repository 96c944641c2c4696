using System.Diagnostics;
using Carousel.Kernels;

namespace Carousel.Benchmarks;

/// <summary>
/// `gemm-quick`: a plain Stopwatch table (best of N after warm-up) for fast iteration on the kernels.
/// Options: --path avx512|avx2|scalar, --threads N, --samples N, --cpu-time, --square-only, --recurrent-only,
/// --merged-only, and the probes --kernel, --pack, --bandwidth, --cells (cell row kernels), --infer (eval forward by parts).
/// </summary>
internal static class GemmQuick
{
    public const double PeakGflops = 235.0;
    private static double WarmupSeconds = 0.3;

    public static int Run(string[] args)
    {
        GemmPath path = GemmPaths.Best;
        int samples = 15;
        bool square = true, recurrent = true, merged = true;
        int[] squareSizes = [64, 128, 256, 512, 1024];
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--path": path = Enum.Parse<GemmPath>(args[++i], ignoreCase: true); break;
                case "--threads": Gemm.MaxThreads = int.Parse(args[++i]); break;
                case "--samples": samples = int.Parse(args[++i]); break;
                case "--square-only": recurrent = merged = false; break;
                case "--recurrent-only": square = merged = false; break;
                case "--merged-only": square = recurrent = false; break;
                case "--cpu-time": s_cpuTime = true; break;
                case "--square": squareSizes = [int.Parse(args[++i])]; recurrent = merged = false; break;
                case "--bandwidth": return Bandwidth(samples);
                case "--pack": return Pack(samples);
                case "--kernel": return Kernel(samples);
                case "--cells": return Cells(samples);
                case "--infer": return Infer(samples);
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        Console.WriteLine($"path {path}, threads {Gemm.MaxThreads}, best of {samples}{(s_cpuTime ? " (thread CPU time)" : "")}; peak {PeakGflops} GFLOP/s per core");
        Console.WriteLine($"{"shape",-34} {"time",10} {"GFLOP/s",8} {"peak",6}");
        if (square)
            foreach (int s in squareSizes)
                foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
                {
                    if (s < 256 && (ta || tb)) continue;
                    Report($"square {s} {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')}", TimeGemm(path, ta, tb, s, s, s, samples), 2.0 * s * s * s);
                }
        if (merged)
            foreach (int h in new[] { 256, 512 })
            {
                // The big once-per-sequence GEMMs of a layer over T·B = 100·32 rows (input size = H).
                const int rows = 3200;
                Report($"X·W_ihᵀ m={rows} k={h} n={4 * h} NT", TimeGemm(path, false, true, rows, 4 * h, h, samples), 2.0 * rows * h * 4 * h);
                Report($"dGᵀ·X m={4 * h} k={rows} n={h} TN", TimeGemm(path, true, false, 4 * h, h, rows, samples), 2.0 * rows * h * 4 * h);
                Report($"dG·W_ih m={rows} k={4 * h} n={h} NN", TimeGemm(path, false, false, rows, h, 4 * h, samples), 2.0 * rows * h * 4 * h);
            }
        if (recurrent)
            foreach (int h in new[] { 128, 256, 512, 1024 })
            {
                foreach (int m in new[] { 32, 16, 1 })
                {
                    // h·W_hhᵀ: A [m, H], W [4H, H] used transposed.
                    Report($"m={m} k={h} n={4 * h} NT", TimeGemm(path, false, true, m, 4 * h, h, samples), 2.0 * m * h * 4 * h);
                    Report($"m={m} k={h} n={4 * h} packed", TimePacked(path, m, 4 * h, h, samples), 2.0 * m * h * 4 * h);
                }
                // dG·W: A [32, 4H], W [4H, H] untransposed.
                Report($"m=32 k={4 * h} n={h} packed(NN)", TimePacked(path, 32, h, 4 * h, samples, transpose: false), 2.0 * 32 * h * 4 * h);
            }
        return 0;
    }

    /// <summary>
    /// The cells' forward row kernels (gate activations and state update of one batch row), time per row, next to the
    /// per-row share of the packed recurrent product at m = 16: what the elementwise part adds to a step.
    /// </summary>
    private static int Cells(int samples)
    {
        WarmupSeconds = 1.0;   // the first rows otherwise catch TensorPrimitives' generic code before its tier-1 compile
        foreach (var cell in new[] { Carousel.Layers.Recurrent.CellKind.Lstm, Carousel.Layers.Recurrent.CellKind.Gru, Carousel.Layers.Recurrent.CellKind.RnnTanh })
            foreach (int h in new[] { 128, 256, 512, 1024 })
            {
                var kernel = Carousel.Layers.Recurrent.CellKernel.For(cell);
                int g = cell == Carousel.Layers.Recurrent.CellKind.Lstm ? 4 : cell == Carousel.Layers.Recurrent.CellKind.Gru ? 3 : 1;
                float[] pre = Random(g * h, 5), rec = Random(g * h, 6), hPrev = Random(h, 7), cPrev = Random(h, 8);
                float[] cache = new float[kernel.CacheWidth(h)], hNext = new float[h], cNext = new float[h];
                bool hasCell = cell == Carousel.Layers.Recurrent.CellKind.Lstm;
                double row = BestOf(samples, 2e5, () => kernel.ForwardRow(h, pre, rec, hPrev, hasCell ? cPrev : default, default, cache, hNext,
                    hasCell ? cNext : default));
                double product = 2.0 * h * g * h / (PeakGflops * 0.86e9);
                Console.WriteLine($"{cell,-8} H={h,5}: forward row {row * 1e9,8:F0} ns, {row * 1e9 / (g * h),5:F2} ns per gate unit; product row at 86 % peak {product * 1e9,8:F0} ns ({row / product:P0})");
            }
        return 0;
    }

    /// <summary>
    /// Forward-only inference of the 2-layer char model (V = 65, B = 32, T = 100) on one thread, against what its parts
    /// cost alone: the two input projections and the output layer as whole GEMMs, 200 recurrent products at m = 32 and
    /// 6,400 cell rows. The difference is what the time loop adds around them.
    /// </summary>
    private static int Infer(int samples)
    {
        const int V = 65, B = 32, T = 100, rows = B * T;
        WarmupSeconds = 1.0;
        foreach (var cell in new[] { Carousel.Layers.Recurrent.CellKind.Lstm, Carousel.Layers.Recurrent.CellKind.Gru })
            foreach (int h in new[] { 128, 256, 512 })
            {
                var model = new Carousel.Models.CharLanguageModel(new Carousel.Models.CharLanguageModelConfig(V, cell, h, 2), new Carousel.Tensors.Rng(1)) { Training = false };
                int E = model.Config.EffectiveEmbeddingSize, G = cell == Carousel.Layers.Recurrent.CellKind.Lstm ? 4 : 3;
                var ids = new int[rows];
                var rng = new Random(3);
                for (int i = 0; i < rows; i++) ids[i] = rng.Next(V);
                double full = BestOf(samples, 1e9, () => model.Run(ids, null, T, B));
                var embedded = new Carousel.Tensors.Tensor(Random(rows * E, 4), T, B, E);
                double stack = BestOf(samples, 1e9, () => model.Rnn.Forward(embedded));
                double projections = TimeGemm(GemmPaths.Best, false, true, rows, G * h, E, samples) + TimeGemm(GemmPaths.Best, false, true, rows, G * h, h, samples);
                double recurrent = 2 * T * TimePacked(GemmPaths.Best, B, G * h, h, samples);
                double output = TimeGemm(GemmPaths.Best, false, true, rows, V, h, samples);
                var kernel = Carousel.Layers.Recurrent.CellKernel.For(cell);
                bool hasCell = cell == Carousel.Layers.Recurrent.CellKind.Lstm;
                float[] pre = Random(G * h, 5), rec = Random(G * h, 6), hPrev = Random(h, 7), cPrev = Random(h, 8);
                float[] cache = new float[kernel.CacheWidth(h)], hNext = new float[h], cNext = new float[h];
                double cells = 2 * rows * BestOf(samples, 2e5, () => kernel.ForwardRow(h, pre, rec, hPrev, hasCell ? cPrev : default, default, cache, hNext, hasCell ? cNext : default));
                double parts = projections + recurrent + output + cells;
                Console.WriteLine($"{cell,-5} H={h,4}: full {full * 1e3,6:F2} ms ({rows / full,7:F0} tok/s), stack {stack * 1e3,6:F2}; parts: input proj {projections * 1e3,5:F2}, " +
                    $"recurrent {recurrent * 1e3,5:F2}, cells {cells * 1e3,5:F2}, output {output * 1e3,4:F2} = {parts * 1e3,6:F2} ms; loop overhead {(full - parts) / full,4:P0}");
            }
        return 0;
    }

    /// <summary>Read bandwidth of a plain Vector512 sum: the ceiling for the m = 1 (GEMV) rows.</summary>
    private static unsafe int Bandwidth(int samples)
    {
        foreach (int kb in new[] { 32, 256, 1024, 4096, 16384, 65536 })
        {
            float[] x = Random(kb * 256, 3);
            float sink = 0;
            double t = BestOf(samples, kb * 256 * 2.0, () =>
            {
                fixed (float* p = x)
                {
                    var s0 = System.Runtime.Intrinsics.Vector512<float>.Zero;
                    var s1 = s0; var s2 = s0; var s3 = s0;
                    for (int i = 0; i < x.Length; i += 64)
                    {
                        s0 += System.Runtime.Intrinsics.Vector512.Load(p + i);
                        s1 += System.Runtime.Intrinsics.Vector512.Load(p + i + 16);
                        s2 += System.Runtime.Intrinsics.Vector512.Load(p + i + 32);
                        s3 += System.Runtime.Intrinsics.Vector512.Load(p + i + 48);
                    }
                    sink += System.Runtime.Intrinsics.Vector512.Sum(s0 + s1 + s2 + s3);
                }
            });
            Console.WriteLine($"read {kb,6} KB: {kb * 1024.0 / t / 1e9,6:F1} GB/s ({sink:F0})");
        }
        return 0;
    }

    /// <summary>Packing speed (floats per ns) of a 256 × 1024 block into 32- and 12-wide panels.</summary>
    private static unsafe int Pack(int samples)
    {
        const int kc = 256, count = 1024;
        int pad = Environment.GetEnvironmentVariable("PACKPAD") is string pp ? int.Parse(pp) : 0;
        float[] src = Random(kc * (count + pad), 4);
        float[] dst = new float[kc * (count + 32)];
        foreach (int w in new[] { 32, 12 })
            foreach (bool transposed in new[] { false, true })
            {
                double t = BestOf(samples, kc * count * 20.0, () =>
                {
                    fixed (float* s = src, d = dst)
                        GemmPack.Block(transposed, s, transposed ? kc + pad : count + pad, count, kc, d, w, true);
                });
                Console.WriteLine($"pack w={w,2} {(transposed ? "transposed" : "copy      ")}: {t * 1e6,7:F1}us {kc * count / t / 1e9,6:F2} floats/ns");
            }
        return 0;
    }

    /// <summary>The AVX-512 micro-kernel alone on L1-resident panels: the ceiling for the whole GEMM.</summary>
    private static unsafe int Kernel(int samples)
    {
        foreach (int kc in new[] { 64, 128, 256, 512 })
        {
            float[] a = Random(12 * kc + 16, 5), b = Random(32 * kc + 16, 6), c = new float[12 * 32 + 16];
            double t = BestOf(samples, 2.0 * 12 * 32 * kc * 16, () =>
            {
                fixed (float* pa = a, pb = b, pc = c)
                    for (int r = 0; r < 16; r++) Avx512Kernel.Tile(12, 32, kc, pa, pb, pc, 32, true);
            });
            Report($"kernel 12x32 kc={kc}", t / 16, 2.0 * 12 * 32 * kc);
        }
        return 0;
    }

    private static void Report(string name, double seconds, double flops)
    {
        double gflops = flops / seconds / 1e9;
        Console.WriteLine($"{name,-34} {seconds * 1e6,8:F1}us {gflops,8:F1} {gflops / PeakGflops,6:P0}");
    }

    private static float[] Random(int count, int seed)
    {
        var rng = new Random(seed);
        var x = new float[count];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    private static double TimeGemm(GemmPath path, bool ta, bool tb, int m, int n, int k, int samples)
    {
        float[] a = Random(m * k, 1), b = Random(k * n, 2), c = new float[m * n];
        int lda = ta ? m : k, ldb = tb ? k : n;
        return BestOf(samples, 2.0 * m * n * k, () => Gemm.Multiply(path, ta, tb, m, n, k, a, lda, b, ldb, c, n, false));
    }

    private static double TimePacked(GemmPath path, int m, int n, int k, int samples, bool transpose = true)
    {
        // The weight matrix is stored [n, k] (transpose) or [k, n], row-major, as the layers keep it.
        float[] a = Random(m * k, 1), w = Random(k * n, 2), c = new float[m * n];
        var packed = transpose ? new PackedMatrix(path, w, n, k, k, true) : new PackedMatrix(path, w, k, n, n, false);
        return BestOf(samples, 2.0 * m * n * k, () => Gemm.Multiply(m, a, k, packed, c, n, false));
    }

    /// <summary>
    /// --cpu-time: time samples with this thread's CPU clock instead of the wall clock, so time spent
    /// preempted by other processes on a shared machine is not counted (single-threaded runs only).
    /// </summary>
    private static bool s_cpuTime;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec { public long Seconds, Nanoseconds; }

    private static double Now()
    {
        if (!s_cpuTime) return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
        ClockGetTime(3 /* CLOCK_THREAD_CPUTIME_ID */, out TimeSpec t);
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    /// <summary>Best time per call: each sample repeats the call for at least ~4 ms.</summary>
    private static double BestOf(int samples, double flops, Action call)
    {
        int reps = Math.Max(1, (int)(4e-3 / (flops / 100e9)));
        // Warm up through the JIT tiers (tier-1 code replaces tier 0 after ~30 calls and a 100 ms quiet spell).
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < WarmupSeconds) call();
        double best = double.MaxValue;
        for (int s = 0; s < samples; s++)
        {
            double start = Now();
            for (int r = 0; r < reps; r++) call();
            best = Math.Min(best, (Now() - start) / reps);
        }
        return best;
    }
}
