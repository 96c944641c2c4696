using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Tests.Models;

/// <summary>
/// The batch-1 stepper must give bit for bit what the general forward gives with T = 1, B = 1: logits, state,
/// and so the sampled text, for every cell, 1–3 layers, one or two threads (split forced at small sizes).
/// </summary>
public class CharModelStepperTests
{
    private static CharLanguageModel Model(CellKind cell, int hidden, int layers, int embedding, ulong seed)
    {
        var model = new CharLanguageModel(new CharLanguageModelConfig(11, cell, hidden, layers, embedding), new Rng(seed));
        model.Training = false;
        return model;
    }

    /// <summary>Feeds the same tokens to the general path and the stepper and asserts equal logits and states.</summary>
    private static void AssertSameAsGeneralPath(CharLanguageModel model, CharModelStepper stepper, int[] tokens, RecurrentState? state)
    {
        stepper.Reset(state);
        var token = new int[1];
        foreach (int t in tokens)
        {
            token[0] = t;
            (_, state) = model.Run(token, null, 1, 1, state);
            float[] expected = model.Logits.ToArray();
            float[] actual = stepper.Step(t).ToArray();
            Assert.Equal(expected, actual);
        }
        var stepperState = stepper.State();
        Assert.Equal(state!.H.Data, stepperState.H.Data);
        if (state.C is not null) Assert.Equal(state.C.Data, stepperState.C!.Data);
    }

    [Theory]
    [InlineData(CellKind.Lstm, 32, 2, 0, 1)]
    [InlineData(CellKind.Lstm, 32, 2, 0, 2)]
    [InlineData(CellKind.Lstm, 19, 3, 7, 1)]
    [InlineData(CellKind.Gru, 64, 1, 24, 2)]
    [InlineData(CellKind.Gru, 19, 2, 0, 1)]
    [InlineData(CellKind.RnnTanh, 32, 3, 0, 2)]
    [InlineData(CellKind.RnnTanh, 21, 1, 0, 1)]
    [InlineData(CellKind.RnnRelu, 64, 2, 16, 2)]
    [InlineData(CellKind.Lstm, 544, 1, 0, 2)] // k > 512: products summed in two blocks
    [InlineData(CellKind.LstmNoForgetGate, 32, 2, 0, 2)]
    [InlineData(CellKind.LstmNoForgetGate, 19, 1, 5, 1)]
    public void StepsGiveTheGeneralPathsBits(CellKind cell, int hidden, int layers, int embedding, int threads)
    {
        var model = Model(cell, hidden, layers, embedding, seed: 3);
        using var stepper = new CharModelStepper(model, threads, minimumHiddenForTwoThreads: 32);
        Assert.True(stepper.IsFast);
        Assert.Equal(threads == 2 && hidden % 32 == 0 ? 2 : 1, stepper.Threads);
        stepper.LeavePartsToHelper();
        var rng = new Rng(5);
        int[] tokens = Enumerable.Range(0, 9).Select(_ => rng.NextInt(11)).ToArray();
        AssertSameAsGeneralPath(model, stepper, tokens, null);
        if (stepper.Threads == 2) Assert.True(stepper.HelperParts >= 9 * layers, $"helper ran {stepper.HelperParts} parts");

        // From a given (random) state, too.
        var state = model.Rnn.ZeroState(1);
        foreach (var t in new[] { state.H, state.C }) if (t is not null) for (int i = 0; i < t.Length; i++) t.Data[i] = (float)rng.NextGaussian();
        AssertSameAsGeneralPath(model, stepper, tokens, state);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void WeightsChangedByAnOptimizerStepAreUsed(int threads)
    {
        var model = Model(CellKind.Lstm, 32, 2, 0, seed: 8);
        using var stepper = new CharModelStepper(model, threads, minimumHiddenForTwoThreads: 32);
        stepper.LeavePartsToHelper();
        int[] tokens = [1, 4, 2, 9, 0];
        AssertSameAsGeneralPath(model, stepper, tokens, null);

        var parameters = model.NamedParameters();
        var adam = new Adam(parameters, 0.05f);
        adam.ZeroGrad();
        model.Training = true;
        model.Run([3, 1, 4, 1, 5, 9], [1, 4, 1, 5, 9, 2], 3, 2, backward: true);
        model.Training = false;
        adam.Step(); // every parameter changes, embedding and output included
        AssertSameAsGeneralPath(model, stepper, tokens, null);
    }

    [Theory]
    [InlineData(CellKind.Lstm, 1)]
    [InlineData(CellKind.Gru, 2)]
    [InlineData(CellKind.RnnTanh, 2)]
    public void SamplerWritesWhatTheGeneralPathSamples(CellKind cell, int threads)
    {
        var vocabulary = CharVocabulary.FromText("abcdefghij\n");
        var model = Model(cell, 32, 2, 0, seed: 12);
        var options = new SamplingOptions(Temperature: 0.9f, TopK: 6);

        // The sampling loop as it was before the stepper: the general forward with T = 1, B = 1.
        var rng = new Rng(7);
        var (_, state) = model.Run(vocabulary.Encode("abc"), null, 3, 1);
        var expected = new System.Text.StringBuilder();
        var scratch = new float[vocabulary.Count];
        for (int i = 0; i < 60; i++)
        {
            int next = CharSampler.Choose(model.Logits[^vocabulary.Count..], options, rng, scratch);
            expected.Append(vocabulary.Decode(next));
            (_, state) = model.Run([next], null, 1, 1, state);
        }

        int saved = Carousel.Kernels.Gemm.MaxThreads;
        Carousel.Kernels.Gemm.MaxThreads = threads;
        try
        {
            string actual = string.Concat(new CharSampler(model, vocabulary).Generate("abc", 60, options, new Rng(7)));
            Assert.Equal(expected.ToString(), actual);
        }
        finally
        {
            Carousel.Kernels.Gemm.MaxThreads = saved;
        }
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void VectorInputsAndALearnedInitialStateMatchTheStack(CellKind cell)
    {
        var rng = new Rng(21);
        var stack = new RecurrentStack(new RecurrentOptions(cell, 5, 32, Layers: 2, InitialState: InitialStateMode.Learned), rng);
        foreach (var p in stack.Parameters()) rng.FillUniform(p.Value.Data, -0.8f, 0.8f);
        stack.Training = false;
        using var stepper = new RecurrentStepper(stack, null, threads: 2, minimumHiddenForTwoThreads: 32);
        stepper.LeavePartsToHelper();
        stepper.Reset();
        RecurrentState? state = null;
        for (int t = 0; t < 6; t++)
        {
            var x = new Tensor(1, 1, 5);
            for (int i = 0; i < 5; i++) x.Data[i] = (float)rng.NextGaussian();
            var (y, final) = stack.Forward(x, state);
            state = final;
            Assert.Equal(y.Data, stepper.Step(x.Data).ToArray());
        }
        Assert.Equal(state!.H.Data, stepper.State().H.Data);
    }

    [Fact]
    public void TheFallbackForOtherStacksStepsTheGeneralPath()
    {
        // Cells the stepper does not know go through the general forward; it must carry the state the same way.
        var config = new CharLanguageModelConfig(11, CellKind.Gru, 32, 2, Dropout: 0.5f);
        var model = new CharLanguageModel(config, new Rng(4)) { Training = true }; // dropout must stay off while stepping
        var reference = new CharLanguageModel(config, new Rng(4)) { Training = false };
        using var fallback = new CharModelStepper(model, 1, RecurrentStepper.MinimumHiddenForTwoThreads, generalPath: true);
        Assert.False(fallback.IsFast);
        AssertSameAsGeneralPath(reference, fallback, [3, 1, 4, 1, 5], null);
        Assert.True(model.Training);
    }

    [Fact]
    public void BidirectionalAndPeepholeStacksAreLeftToTheGeneralPath()
    {
        var options = new RecurrentOptions(CellKind.Lstm, 4, 8, Bidirectional: true);
        Assert.False(RecurrentStepper.Supports(options));
        Assert.False(RecurrentStepper.Supports(new RecurrentOptions(CellKind.LstmPeephole, 4, 8))); // peepholes: general path
        using var peephole = new CharModelStepper(new CharLanguageModel(new CharLanguageModelConfig(11, CellKind.LstmPeephole, 8, 2), new Rng(2)) { Training = false }, 1);
        Assert.False(peephole.IsFast);
        var reference = new CharLanguageModel(new CharLanguageModelConfig(11, CellKind.LstmPeephole, 8, 2), new Rng(2)) { Training = false };
        AssertSameAsGeneralPath(reference, peephole, [3, 1, 4], null);
        Assert.Throws<NotSupportedException>(() => new RecurrentStepper(new RecurrentStack(options, new Rng(1))));
    }

    [Theory]
    [InlineData(CellKind.Lstm, 64, 2, 1)]
    [InlineData(CellKind.Lstm, 64, 2, 2)]
    [InlineData(CellKind.Gru, 32, 3, 2)]
    [InlineData(CellKind.RnnTanh, 19, 1, 1)]
    public void Bfloat16WeightsComputeWhatTheRoundedModelComputes(CellKind cell, int hidden, int layers, int threads)
    {
        var model = Model(cell, hidden, layers, 0, seed: 21);
        var rounded = Model(cell, hidden, layers, 0, seed: 21);
        CharModelStepper.RoundStreamedWeights(rounded, Carousel.Kernels.WeightPrecision.BFloat16);
        using var exact = new CharModelStepper(model, threads, minimumHiddenForTwoThreads: 32);
        using var half = new CharModelStepper(model, threads, minimumHiddenForTwoThreads: 32, precision: Carousel.Kernels.WeightPrecision.BFloat16);
        half.LeavePartsToHelper();

        var token = new int[1];
        RecurrentState? state = null;
        double largestRoundingEffect = 0;
        foreach (int t in new[] { 3, 1, 4, 1, 5, 9, 2, 6, 5, 3 })
        {
            token[0] = t;
            (_, state) = rounded.Run(token, null, 1, 1, state);
            var expected = rounded.Logits.ToArray();
            var actual = half.Step(t).ToArray();
            var full = exact.Step(t).ToArray();
            for (int v = 0; v < expected.Length; v++)
            {
                Numerics.Close(expected[v], actual[v], 1e-5, 1e-5, $"logit {v}");
                largestRoundingEffect = Math.Max(largestRoundingEffect, Math.Abs(full[v] - actual[v]));
            }
        }
        // The rounding is there, and small: bfloat16 keeps 8 significant bits.
        Assert.InRange(largestRoundingEffect, 1e-6, 0.05);
    }

    [Fact]
    public void Bfloat16WeightsNeedTheBatch1Path()
    {
        var model = new CharLanguageModel(new CharLanguageModelConfig(11, CellKind.LstmPeephole, 8, 1), new Rng(1)) { Training = false };
        Assert.Throws<NotSupportedException>(() => new CharModelStepper(model, 1, precision: Carousel.Kernels.WeightPrecision.BFloat16));
    }
}
