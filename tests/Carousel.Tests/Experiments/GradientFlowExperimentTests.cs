using Carousel.Layers.Recurrent;
using Carousel.Tensors;
using Carousel.Experiments;
using Xunit.Abstractions;

namespace Carousel.Tests.Experiments;

/// <summary>Small, fast versions of the gradient-flow and exploding-gradient experiments (the long runs are commands).</summary>
public class GradientFlowExperimentTests(ITestOutputHelper output)
{
    [Fact]
    public void AtInitialisationTheRnnGradientVanishesWithTheLagAndTheLstmGradientPersists()
    {
        var options = new GradientFlowOptions([CellKind.RnnTanh, CellKind.Lstm], Length: 40, HiddenSize: 16, TrainSteps: 0, MeasureBatch: 16, TestSequences: 16);

        var result = GradientFlowExperiment.Run(options);

        Assert.Equal(2, result.Profiles.Count);
        var rnn = result.Profiles[0];
        var lstm = result.Profiles[1];
        Assert.All(result.Profiles, p => Assert.Equal(GradientFlowExperiment.Initial, p.Phase));
        Assert.All(result.Profiles, p => Assert.Equal(40, p.MeanNormByLag.Length));
        output.WriteLine($"relative at lag 39: rnn {rnn.Relative(39):G3}, lstm {lstm.Relative(39):G3}");
        // The RNN's gradient shrinks by a roughly constant factor per step: exponential decay, so over 30 steps it falls
        // by many orders of magnitude, and it falls from every block of 10 steps to the next.
        Assert.True(rnn.Relative(39) < 1e-6, $"rnn {rnn.Relative(39):G3}");
        for (int lag = 10; lag < 40; lag += 10) Assert.True(rnn.Relative(lag) < 0.1 * rnn.Relative(lag - 10), $"rnn lag {lag}");
        // The LSTM's cell (forget gate ≈ σ(2) ≈ 0.88) carries it much further.
        Assert.True(lstm.Relative(39) > 1e4 * rnn.Relative(39), $"lstm {lstm.Relative(39):G3} vs rnn {rnn.Relative(39):G3}");

        var csv = result.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("lag,cell,phase,mean_norm,relative_norm", csv[0]);
        Assert.Equal(1 + 2 * 40, csv.Length);
        Assert.StartsWith("0,rnn,init,", csv[1]);
        Assert.EndsWith(",1", csv[1]); // relative to itself at lag 0
    }

    [Fact]
    public void TrainingAddsATrainedProfileAndLowersTheError()
    {
        var options = new GradientFlowOptions([CellKind.Lstm], Length: 22, HiddenSize: 8, TrainSteps: 150, MeasureBatch: 8, TestSequences: 128);
        var reports = new List<GradientFlowProgress>();

        var result = GradientFlowExperiment.Run(options, reports.Add);

        Assert.Equal([GradientFlowExperiment.Initial, GradientFlowExperiment.Trained], result.Profiles.Select(p => p.Phase));
        Assert.Equal(150, reports[^1].Step);
        var (before, after) = (result.Profiles[0].Score, result.Profiles[1].Score);
        output.WriteLine($"test MSE {before.MeanSquaredError:F4} → {after.MeanSquaredError:F4}");
        // From a random output (MSE ≈ 0.3) to at least the plateau of answering the mean (≈ 0.042).
        Assert.True(after.MeanSquaredError < 0.06 && after.MeanSquaredError < 0.5 * before.MeanSquaredError);
    }

    [Fact]
    public void WithoutClippingTheLargeGainRnnBlowsUpAndWithClippingItStaysFinite()
    {
        var options = new ExplodingGradientOptions(TrainSteps: 60, TestSequences: 16); // the defaults diverge unclipped at step 59

        var result = ExplodingGradientExperiment.Run(options);

        var (unclipped, clipped) = (result.Runs[0], result.Runs[1]);
        output.WriteLine($"radius {result.SpectralRadius:F2}; unclipped diverged at {unclipped.DivergedAtStep}, max norm {unclipped.GradientNorms.Where(double.IsFinite).Max():G3}; " +
                         $"clipped max norm {clipped.GradientNorms.Max():G3}, last loss {clipped.Losses[^1]:G3}");
        Assert.Equal(ExplodingGradientExperiment.Unclipped, unclipped.Name);
        Assert.InRange(result.SpectralRadius, 2.5, 3.5);
        // Both start from the same weights and batch: the same first loss and gradient.
        Assert.Equal(unclipped.Losses[0], clipped.Losses[0]);
        Assert.True(clipped.GradientNorms[0] > 100 * options.ClipNorm, $"first gradient norm {clipped.GradientNorms[0]:G3}");
        Assert.NotNull(unclipped.DivergedAtStep);
        Assert.True(double.IsNaN(unclipped.Losses[^1]));
        Assert.Null(clipped.DivergedAtStep);
        Assert.All(clipped.Losses, l => Assert.True(double.IsFinite(l)));
        Assert.Equal(1 + 2 * 60, result.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void SpectralRadiusIsTheLargestEigenvalueModulusEvenForAComplexPair()
    {
        // A rotation by 30° scaled by 2 (eigenvalues 2·e^{±iπ/6}) next to a real eigenvalue 0.5.
        double c = 2 * Math.Cos(Math.PI / 6), s = 2 * Math.Sin(Math.PI / 6);
        var m = Tensor.FromDoubles([c, -s, 0, s, c, 0, 0, 0, 0.5], 3, 3);
        Numerics.Close(2.0, ExplodingGradientExperiment.SpectralRadius(m), 1e-3, 0, "rotation × 2");
        var diagonal = Tensor.FromDoubles([0.3, 0, 0, -1.7], 2, 2);
        Numerics.Close(1.7, ExplodingGradientExperiment.SpectralRadius(diagonal), 1e-3, 0, "diagonal");
    }

    [Fact]
    public void AGatedCellsRadiusIsTheLargestOverItsGateBlocks()
    {
        // W_hh [2·2, 2] of a two-gate cell: the first block has radius 0.5, the second 1.5.
        var weightHh = Tensor.FromDoubles([0.5, 0, 0, 0.2, 0, 1.5, 1.5, 0], 4, 2);
        Numerics.Close(1.5, ExplodingGradientExperiment.LargestGateBlockRadius(weightHh), 1e-6, 0, "largest block");
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void TheExperimentRunsForGatedCells(CellKind cell)
    {
        var result = ExplodingGradientExperiment.Run(new ExplodingGradientOptions(Cell: cell, TrainSteps: 3, TestSequences: 4));

        Assert.InRange(result.SpectralRadius, 2, 4); // each gate block ~ N(0, gain²/H) with gain 3
        Assert.Equal(2, result.Runs.Count);
    }
}
