using Carousel.Layers;
using Carousel.Tensors;

namespace Carousel.Tests.Layers;

public class LuongAttentionTests
{
    [Fact]
    public void SharpAttentionStaysFiniteAndPicksTheBestScoringPosition()
    {
        // Scores in the hundreds (a sharply trained model) would overflow an unshifted exp.
        var attention = new LuongAttention(memorySize: 2, querySize: 2, new Rng(1));
        attention.LinearIn.Weight.Value.Data.AsSpan().Clear();
        attention.LinearIn.Weight.Value.Data[0] = attention.LinearIn.Weight.Value.Data[3] = 1f; // W_a = I
        var memory = new Tensor([100f, 0f, 0f, 100f, -100f, 0f], 3, 1, 2);      // [S=3, B=1, De=2]
        attention.SetMemory(memory, [2]);                                        // the third position is padding
        var query = new Tensor([0f, 5f], 1, 1, 2);                              // prefers position 1 (score 500)
        var output = attention.Forward(query);
        Assert.All(output.Data, v => Assert.True(float.IsFinite(v)));

        // context = e_1 = [0, 100]: h̃ = tanh(W_c [0, 100, 0, 5])
        var w = attention.LinearOut.Weight.Value.Data;
        for (int j = 0; j < 2; j++)
            Numerics.Close(Math.Tanh(100.0 * w[j * 4 + 1] + 5.0 * w[j * 4 + 3]), output.Data[j], 1e-5, 1e-6, $"h̃[{j}]");
        var (dQuery, dMemory) = attention.Backward(new Tensor([1f, 1f], 1, 1, 2));
        Assert.All(dQuery.Data.Concat(dMemory.Data), v => Assert.True(float.IsFinite(v)));
        Assert.Equal(0f, dMemory.Data[4]); // padding gets no gradient
        Assert.Equal(0f, dMemory.Data[5]);
    }
}
