using Carousel.Kernels;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Tests.Layers;

public class WeightRoundingTests
{
    [Fact]
    public void Bf16RoundsExactlyTheMatricesProductsRead()
    {
        var model = new SequenceClassifier(new SequenceClassifierConfig(7, 3, CellKind.Gru, HiddenSize: 5, Layers: 2, Bidirectional: true, EmbeddingSize: 4), new Rng(2));
        var before = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Value.Data.ToArray());

        int rounded = WeightRounding.RoundMatrixWeights(model, WeightPrecision.BFloat16);

        var expected = model.NamedParameters().Select(p => p.Name)
            .Where(n => n.Contains(".weight_ih_") || n.Contains(".weight_hh_") || n == "output.weight").ToHashSet();
        Assert.Equal(2 * 2 * 2 + 1, expected.Count); // 2 layers × 2 directions × (ih, hh) + the output layer
        Assert.Equal(expected.Count, rounded);
        foreach (var (name, parameter) in model.NamedParameters())
        {
            var data = parameter.Value.Data;
            if (expected.Contains(name))
                for (int i = 0; i < data.Length; i++)
                {
                    // nearest bfloat16: the low 16 bits are zero and the change at most half a bfloat16 step
                    Assert.Equal(0u, BitConverter.SingleToUInt32Bits(data[i]) & 0xFFFFu);
                    Assert.True(Math.Abs(data[i] - before[name][i]) <= Math.Abs(before[name][i]) * Math.Pow(2, -8), name);
                }
            else
                Assert.Equal(before[name], data); // embedding and biases untouched
        }
        Assert.Equal(0, WeightRounding.RoundMatrixWeights(model, WeightPrecision.Float32));
    }
}
