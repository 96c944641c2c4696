using Carousel.Layers.Recurrent;
using Carousel.Tensors;

namespace Carousel.Tests.Layers;

public class GateInitializationTests
{
    private static float[] Bias(RecurrentStack stack, string name) => stack.Parameters().Single(p => p.Name == name).Value.Data;

    [Fact]
    public void ChronoSetsLstmForgetBiasesToLogUniformLagsAndInputBiasesToTheirNegatives()
    {
        const int H = 200, maxLag = 1000;
        var stack = new RecurrentStack(new RecurrentOptions(CellKind.Lstm, 3, H, Layers: 2, Bidirectional: true), new Rng(1));

        stack.InitializeChrono(maxLag, new Rng(2));

        foreach (string suffix in new[] { "l0", "l0_reverse", "l1", "l1_reverse" })
        {
            var ih = Bias(stack, "bias_ih_" + suffix);
            var hh = Bias(stack, "bias_hh_" + suffix);
            var forget = ih.AsSpan(H, H).ToArray();
            Assert.All(forget, b => Assert.InRange(b, 0f, MathF.Log(maxLag - 1)));
            // log U[1, 999] has median log 500 ≈ 6.2: most biases are large, yet they spread.
            Assert.True(forget.Count(b => b > 5f) > H / 2, "most forget biases should be above 5");
            Assert.True(forget.Min() < 3f, "some units should keep shorter spans");
            for (int j = 0; j < H; j++) Assert.Equal(-forget[j], ih[j]);         // input gate i = −f
            Assert.All(hh.AsSpan(0, 2 * H).ToArray(), b => Assert.Equal(0f, b)); // bias_hh's i and f blocks
            Assert.Contains(ih.AsSpan(2 * H, 2 * H).ToArray(), b => b != 0f);    // g and o keep PyTorch's init
        }
    }

    [Fact]
    public void ChronoSetsOnlyTheGruUpdateGateBias()
    {
        const int H = 64;
        var stack = new RecurrentStack(new RecurrentOptions(CellKind.Gru, 3, H), new Rng(1));
        var before = Bias(stack, "bias_ih_l0").ToArray();

        stack.InitializeChrono(100, new Rng(2));

        var after = Bias(stack, "bias_ih_l0");
        Assert.All(after.AsSpan(H, H).ToArray(), b => Assert.InRange(b, 0f, MathF.Log(99)));
        Assert.Equal(before.AsSpan(0, H).ToArray(), after.AsSpan(0, H).ToArray());         // r untouched
        Assert.Equal(before.AsSpan(2 * H, H).ToArray(), after.AsSpan(2 * H, H).ToArray()); // n untouched
        Assert.All(Bias(stack, "bias_hh_l0").AsSpan(H, H).ToArray(), b => Assert.Equal(0f, b));
    }

    [Fact]
    public void KeepGateBiasSetsTheForgetOrUpdateGateAndRnnsHaveNone()
    {
        var gru = new RecurrentStack(new RecurrentOptions(CellKind.Gru, 2, 4), new Rng(1));
        gru.InitializeKeepGateBias(2f);
        Assert.Equal([2f, 2f, 2f, 2f], Bias(gru, "bias_ih_l0").AsSpan(4, 4).ToArray());

        var lstm = new RecurrentStack(new RecurrentOptions(CellKind.Lstm, 2, 4), new Rng(1));
        lstm.InitializeForgetGateBias(1.5f);
        Assert.Equal([1.5f, 1.5f, 1.5f, 1.5f], Bias(lstm, "bias_ih_l0").AsSpan(4, 4).ToArray());

        var rnn = new RecurrentStack(new RecurrentOptions(CellKind.RnnTanh, 2, 4), new Rng(1));
        Assert.False(rnn.HasKeepGate);
        Assert.Throws<InvalidOperationException>(() => rnn.InitializeChrono(100, new Rng(1)));
        Assert.Throws<InvalidOperationException>(() => rnn.InitializeKeepGateBias(1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => lstm.InitializeChrono(2, new Rng(1)));
    }
}
