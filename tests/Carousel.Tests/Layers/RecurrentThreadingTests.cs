using Carousel.Kernels;
using Carousel.Layers.Recurrent;
using Carousel.Tests.Cli;

namespace Carousel.Tests.Layers;

/// <summary>Two threads split the batch; each row's arithmetic is unchanged, so results are identical.</summary>
[Collection(CliCollection.Name)] // changes the process-wide thread setting
public class RecurrentThreadingTests
{
    [Theory]
    [InlineData(CellKind.Lstm, true)]
    [InlineData(CellKind.Gru, false)]
    [InlineData(CellKind.LstmPeephole, true)]
    [InlineData(CellKind.LstmNoForgetGate, false)]
    public void TwoThreadsGiveExactlyTheSingleThreadResults(CellKind cell, bool padded)
    {
        int[]? lengths = padded ? Enumerable.Range(0, 32).Select(b => 3 + b % 5).ToArray() : null;
        (float[] Y, float[] Dx, float[][] Grads) Run(int threads)
        {
            int saved = Gemm.MaxThreads;
            Gemm.MaxThreads = threads;
            try
            {
                var probe = new RecurrentProbe(new RecurrentOptions(cell, 6, 24, Layers: 2, Bidirectional: true), 7, 32, seed: 11, lengths: lengths);
                var y = probe.Stack.Forward(probe.X, probe.Initial, lengths).Output.Data.ToArray();
                var g = probe.Gradients();
                return (y, g.Input.Data, probe.Stack.Parameters().Select(p => p.Grad.Data.ToArray()).ToArray());
            }
            finally
            {
                Gemm.MaxThreads = saved;
            }
        }
        var one = Run(1);
        var two = Run(2);
        Assert.Equal(one.Y, two.Y);
        Assert.Equal(one.Dx, two.Dx);
        for (int i = 0; i < one.Grads.Length; i++) Assert.Equal(one.Grads[i], two.Grads[i]);
    }
}
