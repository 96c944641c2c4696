using Carousel.Diagnostics;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Optimizers;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Experiments;

namespace Carousel.Tests.Experiments;

/// <summary>RTRL's forward-mode gradients against BPTT (RecurrentStack.Backward + Linear.Backward) and central differences.</summary>
public class RealTimeRecurrentLearnerTests
{
    private const int Steps = 7, InputSize = 3, Outputs = 2;
    private static readonly int[] TargetSteps = [1, 3, 4, 6]; // losses at several steps, none at the others

    /// <summary>A stack and readout with weights large enough that every gate is away from its linear regime, a sequence and targets.</summary>
    private sealed class Problem
    {
        public RecurrentStack Stack { get; }
        public Linear Readout { get; }
        public Tensor X { get; }        // [T, 1, In]
        public Tensor Targets { get; }  // [T, Out]

        public Problem(CellKind cell, int hidden, int seed)
        {
            var rng = new Rng((ulong)seed);
            Stack = new RecurrentStack(new RecurrentOptions(cell, InputSize, hidden), rng);
            Readout = new Linear(hidden, Outputs, rng);
            foreach (var p in Stack.Parameters()) rng.FillUniform(p.Value.Data, -0.8f, 0.8f);
            X = new Tensor(Steps, 1, InputSize);
            rng.FillUniform(X.Data, -1f, 1f);
            Targets = new Tensor(Steps, Outputs);
            rng.FillUniform(Targets.Data, -1f, 1f);
        }

        public IEnumerable<Parameter> Parameters() => Stack.Parameters().Concat(Readout.Parameters());

        /// <summary>Runs RTRL over the sequence, adding every step's loss gradient; returns the total loss.</summary>
        public double RunRtrl(RealTimeRecurrentLearner learner)
        {
            learner.Reset();
            double loss = 0;
            for (int t = 0; t < Steps; t++)
                loss += learner.Step(X.Slice(t), TargetSteps.Contains(t) ? Targets.Slice(t) : default);
            return loss;
        }

        /// <summary>BPTT: one forward over the sequence, the readout on every step, ½Σe² at the target steps, one backward.</summary>
        public double RunBptt()
        {
            foreach (var p in Stack.Parameters()) p.MarkChanged();
            var (y, _) = Stack.Forward(X);
            int H = Stack.Options.HiddenSize;
            var output = new float[Steps * Outputs];
            Readout.Forward(y.Data, Steps, output);
            var mask = new bool[Steps * Outputs];
            foreach (int t in TargetSteps) mask.AsSpan(t * Outputs, Outputs).Fill(true);
            var dOutput = new float[Steps * Outputs];
            double loss = SquaredError.HalfSum(output, Targets.Data, dOutput, mask);
            var dHidden = new Tensor(Steps, 1, H);
            Readout.Backward(dOutput, dHidden.Data);
            Stack.Backward(dHidden);
            return loss;
        }
    }

    [Theory]
    [InlineData(CellKind.RnnTanh, 5)]
    [InlineData(CellKind.RnnTanh, 16)]   // θ spans two column blocks
    [InlineData(CellKind.Lstm, 4)]
    [InlineData(CellKind.Lstm, 9)]       // θ spans two column blocks
    public void AccumulatedGradientEqualsBackpropagationThroughTime(CellKind cell, int hidden)
    {
        var problem = new Problem(cell, hidden, seed: 3);
        var learner = new RealTimeRecurrentLearner(problem.Stack, problem.Readout);
        var parameters = problem.Parameters().ToArray();

        parameters.ZeroGrad();
        double bpttLoss = problem.RunBptt();
        var bptt = parameters.Select(p => (float[])p.Grad.Data.Clone()).ToArray();

        parameters.ZeroGrad();
        double rtrlLoss = problem.RunRtrl(learner);

        Numerics.Close(bpttLoss, rtrlLoss, 1e-5, 1e-7, "loss");
        double scale = parameters.Max(p => p.Grad.Data.Max(MathF.Abs));
        for (int i = 0; i < parameters.Length; i++)
            for (int j = 0; j < bptt[i].Length; j++)
                Numerics.Close(bptt[i][j], parameters[i].Grad.Data[j], 1e-5, 1e-6 * scale, $"{parameters[i].Name}[{j}]");
    }

    [Theory]
    [InlineData(CellKind.RnnTanh)]
    [InlineData(CellKind.Lstm)]
    public void GradientEqualsCentralDifferences(CellKind cell)
    {
        var problem = new Problem(cell, hidden: 4, seed: 11);
        var learner = new RealTimeRecurrentLearner(problem.Stack, problem.Readout);
        var parameters = problem.Parameters().ToArray();
        parameters.ZeroGrad();
        problem.RunRtrl(learner);
        var analytic = parameters.Select(p => (float[])p.Grad.Data.Clone()).ToArray();

        // The loss alone (gradients are added into Grad but not read).
        double Loss() => problem.RunRtrl(learner);
        for (int i = 0; i < parameters.Length; i++)
        {
            var (worst, index, numeric, ana) = GradientCheck.Compare(Loss, parameters[i].Value.Data, analytic[i], 4e-3f, 5e-4, 1e-2);
            Assert.True(worst <= 1.0, $"{parameters[i].Name}[{index}]: numeric {numeric:G6}, RTRL {ana:G6} (ratio {worst:G3})");
        }
    }

    [Fact]
    public void HiddenStateEqualsTheStacksForward()
    {
        var problem = new Problem(CellKind.Lstm, hidden: 6, seed: 5);
        var learner = new RealTimeRecurrentLearner(problem.Stack, problem.Readout);
        var (y, _) = problem.Stack.Forward(problem.X);
        learner.Reset();
        for (int t = 0; t < Steps; t++)
        {
            learner.Advance(problem.X.Slice(t));
            for (int k = 0; k < 6; k++) Numerics.Close(y.Slice(t)[k], learner.Hidden[k], 1e-5, 1e-6, $"h[{t}, {k}]");
        }
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.RnnTanh)]
    public void OnlineUpdatesLearnTheReberGrammar(CellKind cell)
    {
        var reports = OnlineReberExperiment.Run(new OnlineReberOptions(cell, Strings: 600, ReportEvery: 100, Seed: 3));
        var (first, last) = (reports[0], reports[^1]);
        Assert.True(first.StringsRight < 0.6 && last.StringsRight >= 0.95 && last.MeanLoss < 0.1 * first.MeanLoss,
            $"first 100 strings: loss {first.MeanLoss:G3}, {first.StringsRight:P0} right; last 100: loss {last.MeanLoss:G3}, {last.StringsRight:P0} right");
    }

    [Fact]
    public void TheOptimizerStepsAfterEveryKthLossAndClearsTheGradients()
    {
        var problem = new Problem(CellKind.Lstm, hidden: 3, seed: 8);
        var learner = new RealTimeRecurrentLearner(problem.Stack, problem.Readout) { UpdateEvery = 2 };
        learner.Update = new WeightUpdate(new Sgd(learner.NamedParameters(), 0.1f), [.. learner.NamedParameters().Select(p => p.Parameter)], gradClip: 0f);
        var weights = problem.Stack.Parameters()[1];
        var before = (float[])weights.Value.Data.Clone();
        learner.Reset();
        learner.Step(problem.X.Slice(0), default);              // no target: no loss, no update
        learner.Step(problem.X.Slice(1), problem.Targets.Slice(1)); // first loss: gradient kept, no update yet
        Assert.Equal(before, weights.Value.Data);
        var gradient = (float[])weights.Grad.Data.Clone();
        Assert.Contains(gradient, g => g != 0);
        learner.Step(problem.X.Slice(2), problem.Targets.Slice(2)); // second loss: update, then zero gradients
        Assert.NotEqual(before, weights.Value.Data);
        Assert.All(weights.Grad.Data, g => Assert.Equal(0f, g));
    }

    [Theory]
    [InlineData(CellKind.Gru, 1, false)]
    [InlineData(CellKind.Lstm, 2, false)]
    [InlineData(CellKind.RnnTanh, 1, true)]
    public void UnsupportedNetworksAreRefused(CellKind cell, int layers, bool bidirectional)
    {
        var rng = new Rng(1);
        var stack = new RecurrentStack(new RecurrentOptions(cell, 2, 3, layers, bidirectional), rng);
        Assert.Throws<ArgumentException>(() => new RealTimeRecurrentLearner(stack, new Linear(stack.Options.OutputSize, 1, rng)));
    }
}
