using Carousel.Data.Series;
using Carousel.Diagnostics;
using Carousel.LinearAlgebra;
using Carousel.Models;
using Carousel.Experiments;

namespace Carousel.Tests.Models;

public class EchoStateNetworkTests
{
    [Theory]
    [InlineData(60, 0.8, 0.1)]
    [InlineData(40, 1.25, 0.3)]
    public void ReservoirIsScaledToTheSpectralRadiusWithTheAskedConnectivity(int units, double radius, double connectivity)
    {
        var esn = new EchoStateNetwork(1, 1, new EchoStateOptions(units, radius, Connectivity: connectivity, Seed: 9));
        var w = esn.ReservoirWeights();
        Numerics.Close(radius, Eigenvalues.SpectralRadius(w, units), 1e-9, 0, "spectral radius");
        Assert.Equal((int)Math.Round(connectivity * units * units), w.Count(v => v != 0));
        var inputs = esn.InputWeights();
        Assert.All(inputs, v => Assert.True(v is 0 or 1 or -1));
        Assert.Equal((int)Math.Round(0.1 * units), Enumerable.Range(0, units).Count(i => inputs[2 * i] != 0)); // biases
    }

    [Fact]
    public void BeatsPredictingNoChangeByAWideMarginOnMackeyGlass()
    {
        var result = EchoStateExperiments.MackeyGlass(new EchoStateOptions(Units: 50, Seed: 2), new MackeyGlassProtocol(SeriesLength: 900, TrainLength: 400, Washout: 50));
        // The trivial predictor: the next value is the current one.
        var x = MackeyGlass.Generate(900);
        var persistence = RegressionMetrics.Of(x.AsSpan(result.TestStart), x.AsSpan(result.TestStart - 1, x.Length - result.TestStart));
        Assert.True(result.TeacherForced.Nrmse < 0.2 * persistence.Nrmse,
            $"ESN NRMSE {result.TeacherForced.Nrmse:G3}, persistence {persistence.Nrmse:G3}");
        Assert.True(result.TeacherForced.RSquared > 0.999, $"R² {result.TeacherForced.RSquared}");
        Assert.True(result.FreeRun100.Nrmse < 1, $"free run NRMSE over 100 steps {result.FreeRun100.Nrmse:G3}");
    }

    [Fact]
    public void LearnsNarmaTenFarBetterThanTheMean()
    {
        var result = EchoStateExperiments.Narma10(new EchoStateOptions(Units: 60, SpectralRadius: 0.9, LeakRate: 1, InputScaling: 0.5, BiasScaling: 0.1,
            Ridge: 1e-8, ReadoutSeesInput: true), new NarmaProtocol(Washout: 100, TrainLength: 1000, TestLength: 500));
        Assert.True(result.Test.Nrmse < 0.6, $"NARMA-10 NRMSE {result.Test.Nrmse:G3}");
    }

    [Fact]
    public void SameSeedSameNetworkAndPredictions()
    {
        var options = new EchoStateOptions(Units: 30, Seed: 4);
        var protocol = new MackeyGlassProtocol(SeriesLength: 600, TrainLength: 300, Washout: 20);
        var a = EchoStateExperiments.MackeyGlass(options, protocol);
        var b = EchoStateExperiments.MackeyGlass(options, protocol);
        var c = EchoStateExperiments.MackeyGlass(options with { Seed = 5 }, protocol);
        Assert.Equal(a.Predictions, b.Predictions);
        Assert.Equal(a.FreeRun, b.FreeRun);
        Assert.NotEqual(a.Predictions, c.Predictions);
    }

    [Fact]
    public void FreeRunFeedsItsOutputsBack()
    {
        var x = MackeyGlass.Generate(400);
        var esn = new EchoStateNetwork(1, 1, new EchoStateOptions(Units: 30, Seed: 1));
        esn.Fit(x.AsSpan(0, 300), x.AsSpan(1, 300), washout: 20);
        var state = esn.State.ToArray();
        var generated = new double[5];
        esn.Generate(x.AsSpan(300, 1), generated);

        // The same by hand: one step on the true value, then on each prediction.
        esn.SetState(state);
        var y = new double[1];
        double input = x[300];
        for (int t = 0; t < 5; t++)
        {
            esn.Update([input]);
            esn.ReadOut(y);
            Assert.Equal(generated[t], y[0]);
            input = y[0];
        }
    }

    [Theory]
    [InlineData(0, 1.0, 0.3, 0.1)]
    [InlineData(10, 0.0, 0.3, 0.1)]
    [InlineData(10, 1.0, 1.5, 0.1)]
    [InlineData(10, 1.0, 0.3, 0.0)]
    public void ImpossibleOptionsAreRefused(int units, double radius, double leak, double connectivity) =>
        Assert.Throws<SettingException>(() => new EchoStateNetwork(1, 1, new EchoStateOptions(units, radius, leak, Connectivity: connectivity)));
}
