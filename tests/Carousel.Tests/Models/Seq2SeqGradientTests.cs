using Carousel.Data;
using Carousel.Diagnostics;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Tests.Models;

/// <summary>Backward of the whole encoder-bridge-decoder (with and without attention) against central differences, on padded batches.</summary>
public class Seq2SeqGradientTests
{
    private const float Epsilon = 4e-3f;
    private const double AbsoluteTolerance = 2e-3, RelativeTolerance = 2e-2;

    // Sources and targets of different lengths, so both sides are padded.
    internal static readonly int[][] Sources = [[3, 4, 5, 6, 3], [5, 3], [4, 6, 6, 5]];
    internal static readonly int[][] Targets = [[3, 4], [5, 6, 3, 4], [6]];

    public static TheoryData<CellKind, bool, bool, int, int, bool> Cases() => new()
    {
        { CellKind.Lstm, true, true, 1, 1, false },    // biLSTM encoder, attention
        { CellKind.Lstm, true, false, 1, 1, false },   // no attention: the bridge carries everything
        { CellKind.Gru, true, true, 1, 1, false },
        { CellKind.Lstm, false, true, 2, 2, false },   // stacked both sides, unidirectional
        { CellKind.Gru, true, false, 2, 2, false },
        { CellKind.Lstm, true, true, 1, 1, true },     // input feeding: h̃_t enters the decoder at t + 1
        { CellKind.Gru, false, true, 1, 2, true },     // input feeding through two decoder layers
        { CellKind.RnnTanh, true, true, 2, 1, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BackwardMatchesCentralDifferences(CellKind cell, bool bidirectional, bool attention, int encoderLayers, int decoderLayers, bool inputFeeding)
    {
        var model = TinyModel(cell, bidirectional, attention, encoderLayers, decoderLayers, seed: 5, inputFeeding);
        var batch = Seq2SeqBatch.From(Sources, Targets, [0, 1, 2]);
        var parameters = model.NamedParameters();
        double Loss()
        {
            foreach (var (_, p) in parameters) p.MarkChanged();
            return model.Forward(batch).MeanLoss;
        }
        parameters.Select(p => p.Parameter).ZeroGrad();
        model.Forward(batch);
        model.Backward();
        foreach (var (name, p) in parameters)
        {
            if (name.EndsWith("embedding.weight")) continue; // checked below on the rows in use (the rest have zero gradient)
            var (worst, index, numeric, analytic) = GradientCheck.Compare(Loss, p.Value.Data, p.Grad.Data, Epsilon, AbsoluteTolerance, RelativeTolerance);
            Assert.True(worst <= 1.0, $"{name}[{index}]: numeric {numeric:G6}, analytic {analytic:G6} (ratio {worst:G3})");
        }
        foreach (var embedding in new[] { model.SourceEmbedding, model.TargetEmbedding })
        {
            var (worst, index, numeric, analytic) = GradientCheck.Compare(Loss, embedding.Weight.Value.Data, embedding.Weight.Grad.Data, Epsilon, AbsoluteTolerance, RelativeTolerance);
            Assert.True(worst <= 1.0, $"embedding[{index}]: numeric {numeric:G6}, analytic {analytic:G6} (ratio {worst:G3})");
        }
        Assert.True(model.BridgeH.Weight.Grad.Data.Any(g => g != 0), "the bridge must receive gradient");
    }

    internal static Seq2Seq TinyModel(CellKind cell, bool bidirectional, bool attention, int encoderLayers = 1, int decoderLayers = 1, ulong seed = 1,
        bool inputFeeding = false, bool rightToLeft = false)
    {
        var model = new Seq2Seq(new Seq2SeqConfig
        {
            Cell = cell, SourceVocabulary = 7, TargetVocabulary = 7, Embedding = 3, EncoderHidden = 4, EncoderLayers = encoderLayers,
            Bidirectional = bidirectional, DecoderHidden = 5, DecoderLayers = decoderLayers, Attention = attention,
            InputFeeding = inputFeeding, RightToLeft = rightToLeft,
        }, new Rng(seed));
        // Larger weights than the default init so that gates and attention are away from their linear regime.
        var rng = new Rng(seed + 100);
        foreach (var (_, p) in model.NamedParameters()) rng.FillUniform(p.Value.Data, -0.9f, 0.9f);
        return model;
    }
}
