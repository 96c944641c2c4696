using Carousel.Kernels;
using Carousel.Layers.Recurrent;
using Carousel.Tensors;

namespace Carousel.Tests.Layers;

/// <summary>The forward-only pass of eval mode gives the training forward's numbers bit for bit, and keeps nothing for backward.</summary>
public class RecurrentInferenceTests
{
    public static TheoryData<CellKind> Cells() => RecurrentPropertyTests.Cells();

    [Theory]
    [MemberData(nameof(Cells))]
    public void EvalForwardEqualsTrainingForwardBitForBit(CellKind cell) => CheckEvalEqualsTraining(cell, hidden: 16);

    private static void CheckEvalEqualsTraining(CellKind cell, int hidden)
    {
        // T·B is above the inference chunk (1024 rows), so the input projection runs in several chunks, the last one short;
        // B = 37 splits over two threads into uneven halves; lengths pad some sequences, in both directions.
        int T = 60, B = 37, In = 5, H = hidden;
        var lengths = Enumerable.Range(0, B).Select(b => b % 4 == 0 ? T : 1 + (b * 7) % T).ToArray();
        var probe = new RecurrentProbe(new RecurrentOptions(cell, In, H, Layers: 3, Bidirectional: true), T, B, seed: 11, lengths: lengths);

        using var threads = Gemm.UseThreads(2);
        var (trainedY, trainedFinal) = probe.Stack.Forward(probe.X, probe.Initial, lengths);
        var expectedY = trainedY.Data.ToArray();
        var expectedH = trainedFinal.H.Data.ToArray();
        var expectedC = trainedFinal.C?.Data.ToArray();

        probe.Stack.Training = false;
        var (y, final) = probe.Stack.Forward(probe.X, probe.Initial, lengths);

        Assert.Equal(expectedY, y.Data);
        Assert.Equal(expectedH, final.H.Data);
        if (expectedC is not null) Assert.Equal(expectedC, final.C!.Data);
    }

    [Fact]
    public void EvalForwardAfterTrainingForwardsOfOtherShapesStaysExact()
    {
        // Workspaces of both passes are kept apart: alternating shapes and modes changes no number.
        var options = new RecurrentOptions(CellKind.Lstm, 3, 8, Layers: 2);
        var probe = new RecurrentProbe(options, 9, 4, seed: 3);
        probe.Stack.Training = false;
        var first = probe.Stack.Forward(probe.X, probe.Initial).Output.Data.ToArray();

        probe.Stack.Training = true;
        var other = RecurrentProbe.Random(new Rng(1), 20, 6, 3);
        probe.Stack.Forward(other);
        probe.Stack.Training = false;
        probe.Stack.Forward(other);
        var again = probe.Stack.Forward(probe.X, probe.Initial).Output.Data;

        Assert.Equal(first, again);
    }

    [Fact]
    public void OneHotEvalForwardEqualsTrainingForwardBitForBit()
    {
        // Ids read as one-hot vectors: the chunked input projection gathers the same columns of W_ih.
        const int T = 70, B = 20, V = 9;
        var stack = new RecurrentStack(new RecurrentOptions(CellKind.Lstm, V, 32, Layers: 2, Bidirectional: true), new Rng(4));
        var rng = new Rng(8);
        int[] ids = [.. Enumerable.Range(0, T * B).Select(_ => rng.NextInt(V))];
        int[] lengths = [.. Enumerable.Range(0, B).Select(b => T - 3 * b)];
        var trained = stack.ForwardOneHot(ids, T, B, lengths: lengths);
        var expectedY = trained.Output.Data.ToArray();
        var expectedH = trained.Final.H.Data.ToArray();

        stack.Training = false;
        var inferred = stack.ForwardOneHot(ids, T, B, lengths: lengths);

        Assert.Equal(expectedY, inferred.Output.Data);
        Assert.Equal(expectedH, inferred.Final.H.Data);
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void EmbeddedTokensLookedUpEqualTheEmbeddedForwardBitForBit(CellKind cell)
    {
        // The first layer's projection read from the table E·W_ihᵀ gives what the product of each embedded row gives,
        // over several chunks, two threads, padding, both directions.
        const int T = 70, B = 21, V = 11, E = 13;
        var stack = new RecurrentStack(new RecurrentOptions(cell, E, 24, Layers: 2, Bidirectional: true), new Rng(5)) { Training = false };
        var embedding = new Carousel.Layers.Embedding(V, E, new Rng(6));
        var rng = new Rng(9);
        int[] ids = [.. Enumerable.Range(0, T * B).Select(_ => rng.NextInt(V))];
        int[] lengths = [.. Enumerable.Range(0, B).Select(b => T - 3 * b)];
        var embedded = new Tensor(T, B, E);
        embedding.Forward(ids, embedded.Data);
        var initial = stack.ZeroState(B);
        for (int i = 0; i < initial.H.Data.Length; i++) initial.H.Data[i] = 0.1f * rng.NextFloat() - 0.05f;

        using var threads = Gemm.UseThreads(2);
        var expected = stack.Forward(embedded, initial, lengths);
        var expectedY = expected.Output.Data.ToArray();
        var expectedH = expected.Final.H.Data.ToArray();
        var expectedC = expected.Final.C?.Data.ToArray();
        var looked = stack.ForwardEmbedded(embedding, ids, T, B, initial, lengths);

        Assert.Equal(expectedY, looked.Output.Data);
        Assert.Equal(expectedH, looked.Final.H.Data);
        if (expectedC is not null) Assert.Equal(expectedC, looked.Final.C!.Data);

        // A changed embedding is seen by the next call (the table is rebuilt), and training mode is refused.
        embedding.Weight.Value.Data[ids[0] * E] += 0.5f;
        Assert.NotEqual(expectedY, stack.ForwardEmbedded(embedding, ids, T, B, initial, lengths).Output.Data.ToArray());
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void EmbeddedTokensInTrainingGiveTheEmbeddedForwardsGradients(CellKind cell)
    {
        // Training through the table: outputs to rounding, and dW_ih, dE by the chain rule through E·W_ihᵀ equal the
        // gradients of the embedded forward followed by the embedding's scatter-add.
        const int T = 9, B = 4, V = 6, E = 5, H = 7;
        var options = new RecurrentOptions(cell, E, H, Layers: 2, Bidirectional: true);
        var rng = new Rng(12);
        int[] ids = [.. Enumerable.Range(0, T * B).Select(_ => rng.NextInt(V))];
        int[] lengths = [T, 5, 8, 2];
        var dOutput = RecurrentProbe.Random(new Rng(13), T, B, 2 * H);
        (float[] Y, Dictionary<string, float[]> Grads) Run(bool table)
        {
            var stack = new RecurrentStack(options, new Rng(5));
            var embedding = new Carousel.Layers.Embedding(V, E, new Rng(6));
            RecurrentOutput output;
            if (table) output = stack.ForwardEmbedded(embedding, ids, T, B, lengths: lengths);
            else
            {
                var x = new Tensor(T, B, E);
                embedding.Forward(ids, x.Data);
                output = stack.Forward(x, lengths: lengths);
            }
            var y = output.Output.Data.ToArray();
            var gradients = stack.Backward(dOutput);
            if (table) Assert.Equal(0, gradients.Input.Length);
            else embedding.Backward(gradients.Input.Data);
            var grads = stack.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad.Data.ToArray());
            grads["embedding"] = embedding.Weight.Grad.Data.ToArray();
            return (y, grads);
        }

        var (tableY, tableGrads) = Run(table: true);
        var (plainY, plainGrads) = Run(table: false);
        for (int i = 0; i < plainY.Length; i++) Numerics.Close(plainY[i], tableY[i], 1e-6, 1e-5, $"y[{i}]");
        foreach (var (name, expected) in plainGrads)
        {
            Assert.Contains(expected, v => v != 0f);
            for (int i = 0; i < expected.Length; i++) Numerics.Close(expected[i], tableGrads[name][i], 1e-5, 1e-4, $"{name}[{i}]");
        }
    }

    [Fact]
    public void BackwardAfterAnEvalForwardIsRefused()
    {
        var probe = new RecurrentProbe(new RecurrentOptions(CellKind.Gru, 3, 4), 5, 2, seed: 1);
        probe.Stack.Training = true;
        probe.Stack.Forward(probe.X, probe.Initial);
        probe.Stack.Training = false;
        probe.Stack.Forward(probe.X, probe.Initial);

        var error = Assert.Throws<InvalidOperationException>(() => probe.Stack.Backward(probe.Ry));
        Assert.Contains("eval mode", error.Message);
    }
}
