using System.Diagnostics;
using Carousel.Kernels;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Benchmarks;

/// <summary>
/// `sample-quick`: batch-1 sampling tokens/s of the 2-layer char model (V = 65), old and new paths A/B in one
/// process: the general forward (T = 1, B = 1) and the <see cref="CharModelStepper"/>, each with 1 and 2 threads,
/// rounds interleaved so that the machine's drift hits every variant alike; best round of each.
/// Options: --cells "lstm gru rnn", --hidden "128 256 512 1024", --rounds N, --tokens N, --cpu-time (the calling
/// thread's CPU clock, which leaves out time preempted by other processes: meaningful for the 1-thread columns),
/// --percentile P (tokens/s from the P-th percentile of per-token wall times: on a busy shared machine a low
/// percentile approximates the speed when both threads do run, for the 2-thread columns too).
/// </summary>
internal static class SampleQuick
{
    private const int Vocabulary = 65;

    public static int Run(string[] args)
    {
        string[] cells = ["lstm", "gru", "rnn"];
        int[] sizes = [128, 256, 512, 1024];
        int rounds = 7, tokens = 500;
        bool cpuTime = false;
        double percentile = 0; // 0: whole rounds; else the per-token wall time at this percentile
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--cells": cells = args[++i].Split(' ', StringSplitOptions.RemoveEmptyEntries); break;
                case "--hidden": sizes = args[++i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray(); break;
                case "--rounds": rounds = int.Parse(args[++i]); break;
                case "--tokens": tokens = int.Parse(args[++i]); break;
                case "--cpu-time": cpuTime = true; break;
                case "--percentile": percentile = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        Console.WriteLine($"batch-1 sampling tokens/s, 2 layers, V = {Vocabulary}, {(percentile > 0 ? $"1 / the {percentile}th percentile of per-token wall times over" : "best of")} {rounds} interleaved rounds of {tokens} tokens{(cpuTime ? ", thread CPU time" : "")}");
        Console.WriteLine("| cell | hidden | general 1t | general 2t | stepper 1t | stepper 2t | new/old 1t | new/old 2t | MB/token | GB/s (best) | helper share (stalls) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (string cellName in cells)
            foreach (int hidden in sizes)
            {
                var cell = CellKinds.Parse(cellName);
                var model = new CharLanguageModel(new CharLanguageModelConfig(Vocabulary, cell, hidden, 2), new Rng(1)) { Training = false };
                using var one = new CharModelStepper(model, 1);
                using var two = new CharModelStepper(model, 2, minimumHiddenForTwoThreads: 0);
                var best = new double[4];
                var tokenTimes = new long[4][];
                for (int v = 0; v < 4; v++) tokenTimes[v] = new long[rounds * tokens];
                int recorded = -1;
                long helperStart = 0; // where Time records per-token times (a round's offset), or -1 while warming up
                var scratch = new float[Vocabulary];
                var warmup = Stopwatch.StartNew();
                while (warmup.Elapsed.TotalSeconds < 1.0)
                    for (int v = 0; v < 4; v++) Time(v, 20);
                for (int r = 0; r < rounds; r++)
                    for (int v = 0; v < 4; v++)
                    {
                        if (r == 0 && v == 0) helperStart = two.HelperParts;
                        recorded = r * tokens;
                        best[v] = Math.Max(best[v], Time(v, tokens));
                    }
                recorded = -1;
                if (percentile > 0)
                    for (int v = 0; v < 4; v++)
                    {
                        Array.Sort(tokenTimes[v]);
                        long ticks = tokenTimes[v][Math.Min(tokenTimes[v].Length - 1, (int)(percentile / 100 * tokenTimes[v].Length))];
                        best[v] = Stopwatch.Frequency / (double)Math.Max(1, ticks);
                    }
                // Weights a stepper step reads: W_hh of every layer, W_ih above the first (the table row is ~G·H floats), the output layer.
                int G = cell.GateCount();
                double megabytes = 4.0 * (G * hidden * hidden * 3 + Vocabulary * hidden) / 1e6;
                double bestNew = Math.Max(best[2], best[3]);
                Console.WriteLine($"| {cellName} | {hidden} | {best[0]:F0} | {best[1]:F0} | {best[2]:F0} | {best[3]:F0} | {best[2] / best[0]:F2}× | {best[3] / best[1]:F2}× | {megabytes:F2} | {megabytes * bestNew / 1e3:F0} | {(two.HelperParts - helperStart) / (2.0 * 2 * rounds * tokens):P0} ({two.HelperStalls}) |");

                double Time(int variant, int count)
                {
                    Gemm.MaxThreads = variant % 2 == 0 ? 1 : 2;
                    var stepper = variant == 2 ? one : two;
                    var rng = new Rng(2);
                    var token = new int[1];
                    RecurrentState? state = null;
                    if (variant >= 2) stepper.Reset();
                    var sampling = new SamplingOptions();
                    // An untimed lead-in, so that a helper thread parked during the other variants is awake again.
                    if (variant == 3) for (int i = 0; i < count / 4; i++) stepper.Step(i % Vocabulary);
                    double start = Now(cpuTime);
                    long tokenStart = Stopwatch.GetTimestamp();
                    for (int i = 0; i < count; i++)
                    {
                        ReadOnlySpan<float> logits;
                        if (variant < 2)
                        {
                            (_, state) = model.Run(token, null, 1, 1, state);
                            logits = model.Logits;
                        }
                        else logits = stepper.Step(token[0]);
                        token[0] = CharSampler.Choose(logits, sampling, rng, scratch);
                        if (recorded >= 0)
                        {
                            long now = Stopwatch.GetTimestamp();
                            tokenTimes[variant][recorded + i] = now - tokenStart;
                            tokenStart = now;
                        }
                    }
                    return count / (Now(cpuTime) - start);
                }
            }
        Gemm.MaxThreads = 1;
        return 0;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec { public long Seconds, Nanoseconds; }

    private static double Now(bool cpuTime)
    {
        if (!cpuTime) return Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
        ClockGetTime(3 /* CLOCK_THREAD_CPUTIME_ID */, out TimeSpec t);
        return t.Seconds + t.Nanoseconds * 1e-9;
    }
}
