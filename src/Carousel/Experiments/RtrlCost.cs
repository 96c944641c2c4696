using System.Diagnostics;
using Carousel.Kernels;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Tensors;
using Carousel.Training;

namespace Carousel.Experiments;

/// <summary>One row of the RTRL cost table: a network's size and its time and memory per step under RTRL and under BPTT.</summary>
/// <param name="Cell">The recurrent cell (tanh RNN or LSTM).</param>
/// <param name="Hidden">Hidden units H.</param>
/// <param name="InputSize">Inputs per step, In.</param>
/// <param name="Parameters">Recurrent parameters P = G·H·(In + H + 2), the columns of the sensitivities.</param>
/// <param name="RtrlMicroseconds">Per step: RTRL's forward step with its sensitivities and a loss gradient (the fastest single step).</param>
/// <param name="BpttMicroseconds">Per step: forward, readout, ½e² at every step and backward over a whole sequence, divided by its length.</param>
/// <param name="SensitivityBytes">Memory of the carried sensitivities (∂h/∂θ twice, ∂c/∂θ for the LSTM), in double.</param>
/// <param name="MultiplyAddsPerStep">RTRL's dominant work per step, W_hh [G·H, H] times ∂h_{t−1}/∂θ [H, P]: G·H·H·P.</param>
public sealed record RtrlCostRow(CellKind Cell, int Hidden, int InputSize, int Parameters, double RtrlMicroseconds, double BpttMicroseconds,
    long SensitivityBytes, long MultiplyAddsPerStep);

/// <summary>
/// Time per step of real-time recurrent learning against backpropagation through time on the same network
/// (one layer, batch 1, a loss at every step), after a warm-up; the measure behind the cost table.
/// </summary>
public static class RtrlCost
{
    /// <summary>Times both on one thread (whatever the process's default), with the sizes given; returns one row of the table.</summary>
    public static RtrlCostRow Measure(CellKind cell, int hidden, int inputSize = 2, int steps = 100, int outputs = 1)
    {
        using var oneThread = Gemm.UseThreads(1);
        var rng = new Rng(1);
        var stack = new RecurrentStack(new RecurrentOptions(cell, inputSize, hidden), rng);
        var readout = new Linear(hidden, outputs, rng);
        var learner = new RealTimeRecurrentLearner(stack, readout);
        var x = new Tensor(steps, 1, inputSize);
        rng.FillUniform(x.Data, -1f, 1f);
        var targets = new Tensor(steps, outputs);
        rng.FillUniform(targets.Data, -1f, 1f);

        // RTRL's cost per step does not depend on the sequence, so each step is timed alone and the fastest counts:
        // on a busy machine a single step is less likely than a whole pass to be cut by the scheduler.
        int rtrlSteps = Math.Min(steps, 20);
        double RtrlPass()
        {
            learner.Reset();
            double fastest = double.MaxValue;
            for (int t = 0; t < rtrlSteps; t++)
            {
                long start = Stopwatch.GetTimestamp();
                learner.Step(x.Slice(t), targets.Slice(t));
                fastest = Math.Min(fastest, Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }
            return fastest;
        }

        var output = new float[steps * outputs];
        var dOutput = new float[steps * outputs];
        var dHidden = new Tensor(steps, 1, hidden);
        double BpttPass()
        {
            var clock = Stopwatch.StartNew();
            var (y, _) = stack.Forward(x);
            readout.Forward(y.Data, steps, output);
            SquaredError.HalfSum(output, targets.Data, dOutput);
            readout.Backward(dOutput, dHidden.Data);
            stack.Backward(dHidden);
            return clock.Elapsed.TotalMicroseconds / steps;
        }

        double rtrl = Best(RtrlPass), bptt = Best(BpttPass);
        long sensitivityValues = (long)hidden * learner.RecurrentParameterCount * (cell.HasCellState() ? 3 : 2);
        int parameters = learner.NamedParameters().Sum(p => p.Parameter.Value.Length);
        long multiplyAdds = RealTimeRecurrentLearner.MultiplyAddsPerStep(cell, inputSize, hidden);
        return new RtrlCostRow(cell, hidden, inputSize, parameters, rtrl, bptt, sensitivityValues * sizeof(double), multiplyAdds);
    }

    // The fastest of repeated passes: the least disturbed by other work on the machine. The warm-up runs long enough
    // (and then pauses) for the tiered JIT to replace the first, unoptimised code, even on a busy machine.
    private static double Best(Func<double> pass)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 40 || clock.Elapsed.TotalSeconds < 1.0; i++)
        {
            pass();
            if (clock.Elapsed.TotalSeconds > 5) break;
        }
        Thread.Sleep(300);
        double best = double.MaxValue;
        clock.Restart();
        for (int i = 0; i < 5 || clock.Elapsed.TotalSeconds < 1.0 && i < 10_000; i++) best = Math.Min(best, pass());
        return best;
    }
}
