using Carousel.Experiments;
using Carousel.Experiments.Tasks;
using Carousel.Layers.Recurrent;
using Carousel.LinearAlgebra;
using Carousel.Tensors;

namespace Carousel.Tests.Layers;

public class EchoStateInitTests
{
    [Fact]
    public void TheMatrixIsSparseAndHasTheAskedSpectralRadius()
    {
        const int n = 40;
        var matrix = new float[n * n];
        double drawn = RecurrentInitializer.FillEchoState(matrix, n, 1.1, 15, new Rng(7));

        Assert.True(drawn > 0);
        for (int i = 0; i < n; i++) Assert.Equal(15, matrix.AsSpan(i * n, n).ToArray().Count(x => x != 0));
        var values = matrix.Select(x => (double)x).ToArray();
        Assert.Equal(1.1, Eigenvalues.SpectralRadius(values, n), 1e-5);
    }

    [Fact]
    public void TheTaskTrainerDrawsEveryGateBlockThatWay()
    {
        var task = TaskCatalog.Create("adding", 22, seed: 1);
        var options = new TaskTrainingOptions { Cell = CellKind.Lstm, Hidden = 20, RecurrentInit = "echo-state", SpectralRadius = 0.9f, InputScale = 0.01f, GateInit = GateInitialization.Default };
        var stack = new TaskTrainer(task, options).Tagger.Rnn;
        var p = stack.Parameters();

        var weightHh = p[1].Value;
        for (int gate = 0; gate < 4; gate++)
        {
            var block = Tensor.Zeros(20, 20);
            Array.Copy(weightHh.Data, gate * 400, block.Data, 0, 400);
            Assert.Equal(0.9, ExplodingGradientExperiment.SpectralRadius(block), 1e-5);
            Assert.Equal(20 * 15, block.Data.Count(x => x != 0));
        }
        Assert.InRange(p[0].Value.Data.Max(MathF.Abs), 1e-4f, 0.06f);   // N(0, 0.01²)
        Assert.All(p[2].Value.Data.Concat(p[3].Value.Data), b => Assert.Equal(0f, b));
    }
}
