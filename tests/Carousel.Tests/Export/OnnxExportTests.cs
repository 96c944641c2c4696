using Carousel.Data;
using Carousel.Export;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Tests.Export;

/// <summary>
/// Every exported graph, run by ONNX Runtime, gives what Carousel's own forward gives (to 1e-5): every cell, stacked,
/// bidirectional, padded batches, and the four model kinds with their step graphs.
/// </summary>
public class OnnxExportTests
{
    private static readonly CellKind[] ExportableCells =
        [CellKind.RnnTanh, CellKind.RnnRelu, CellKind.Lstm, CellKind.Gru, CellKind.LstmPeephole, CellKind.LstmNoForgetGate];

    public static TheoryData<CellKind, bool> CellsAndDirections()
    {
        var data = new TheoryData<CellKind, bool>();
        foreach (var cell in ExportableCells)
        {
            data.Add(cell, false);
            data.Add(cell, true);
        }
        return data;
    }

    private static float[] Random(Rng rng, int count, float scale = 1f)
    {
        var values = new float[count];
        rng.FillUniform(values, -scale, scale);
        return values;
    }

    /// <summary>
    /// The recurrent stack itself, through a tagger over features: two layers, one or two directions, a padded batch whose
    /// rows end at different steps (one at the first), so sequence_lens, the reverse direction's start and the zeros past
    /// each end are all checked; the peephole LSTM's P and the GRU's linear_before_reset with it.
    /// </summary>
    [Theory]
    [MemberData(nameof(CellsAndDirections))]
    public void StackedCellsOverAPaddedBatchMatch(CellKind cell, bool bidirectional)
    {
        const int T = 6, B = 4, F = 3, H = 5, K = 4;
        var rng = new Rng(7);
        var model = new SequenceTagger(new RecurrentOptions(cell, F, H, Layers: 2, Bidirectional: bidirectional), K, rng) { Training = false };
        int[] lengths = [6, 2, 1, 4];
        var x = Random(rng, T * B * F);
        var expected = model.Forward(new Tensor(x, T, B, F), lengths).Data.ToArray();

        var graph = OnnxExport.Tagger(model);
        using var ort = new Ort(graph.Model);
        var actual = ort.Run(("features", x, [T, B, F]), ("lengths", lengths, [B]));
        Ort.AssertClose(expected, actual["logits"], $"{cell} logits");
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.RnnRelu)]
    [InlineData(CellKind.LstmPeephole)]
    [InlineData(CellKind.LstmNoForgetGate)]
    public void CharSequenceGraphMatchesWithAGivenState(CellKind cell)
    {
        const int T = 5, B = 2, L = 2, H = 6, V = 7;
        var rng = new Rng(3);
        var model = new CharLanguageModel(new CharLanguageModelConfig(V, cell, H, L, EmbeddingSize: 4), rng) { Training = false };
        int[] ids = [.. Enumerable.Range(0, T * B).Select(_ => rng.NextInt(V))];
        var initial = new RecurrentState(new Tensor(Random(rng, L * B * H, 0.5f), L, B, H),
            cell.HasCellState() ? new Tensor(Random(rng, L * B * H, 0.5f), L, B, H) : null);
        var (_, final) = model.Run(ids, null, T, B, initial);
        var logits = model.Logits.ToArray();

        var graphs = OnnxExport.CharLanguageModel(model);
        Assert.Equal(["sequence", "step"], graphs.Select(g => g.Role));
        using var ort = new Ort(graphs[0].Model);
        var inputs = new List<(string, Array, int[])> { ("ids", Ort.Longs(ids), [T, B]), ("h_in", initial.H.Data, [L, B, H]) };
        if (initial.C is not null) inputs.Add(("c_in", initial.C.Data, [L, B, H]));
        var actual = ort.Run([.. inputs]);
        Ort.AssertClose(logits, actual["logits"], "logits");
        Ort.AssertClose(final.H.Data, actual["h_out"], "h_out");
        if (final.C is not null) Ort.AssertClose(final.C.Data, actual["c_out"], "c_out");
    }

    /// <summary>The step graph, its state fed back, equals the sampler's stepper over several steps.</summary>
    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.RnnTanh)]
    [InlineData(CellKind.LstmPeephole)]
    [InlineData(CellKind.LstmNoForgetGate)]
    public void CharStepGraphFollowsTheSamplingStepper(CellKind cell)
    {
        const int L = 2, H = 6, V = 7;
        var model = new CharLanguageModel(new CharLanguageModelConfig(V, cell, H, L), new Rng(5)) { Training = false };
        using var stepper = new CharModelStepper(model, threads: 1);
        using var ort = new Ort(OnnxExport.CharLanguageModel(model)[1].Model);
        var h = new float[L * H];
        var c = new float[L * H];
        foreach (int token in new[] { 3, 1, 4, 1, 5, 6, 2 })
        {
            var expected = stepper.Step(token).ToArray();
            var inputs = new List<(string, Array, int[])> { ("token", new long[] { token }, [1]), ("h_in", h, [L, 1, H]) };
            if (cell.HasCellState()) inputs.Add(("c_in", c, [L, 1, H]));
            var actual = ort.Run([.. inputs]);
            Ort.AssertClose(expected, actual["logits"], $"logits after {token}");
            h = actual["h_out"];
            if (cell.HasCellState()) c = actual["c_out"];
        }
        var state = stepper.State();
        Ort.AssertClose(state.H.Data, h, "h after the steps");
        if (state.C is not null) Ort.AssertClose(state.C.Data, c, "c after the steps");
    }

    [Theory]
    [InlineData(SequencePooling.Last, true, CellKind.Lstm)]
    [InlineData(SequencePooling.Last, false, CellKind.Gru)]
    [InlineData(SequencePooling.Mean, true, CellKind.Gru)]
    [InlineData(SequencePooling.Max, true, CellKind.LstmPeephole)]
    [InlineData(SequencePooling.Max, false, CellKind.RnnTanh)]
    [InlineData(SequencePooling.Last, true, CellKind.LstmNoForgetGate)]
    public void ClassifierMatchesOnAPaddedBatch(SequencePooling pooling, bool bidirectional, CellKind cell)
    {
        const int V = 9;
        var rng = new Rng(11);
        var model = new SequenceClassifier(new SequenceClassifierConfig(V, 3, cell, HiddenSize: 5, Layers: 2, Bidirectional: bidirectional,
            EmbeddingSize: 4, Pooling: pooling), rng) { Training = false };
        int[][] texts = [[1, 2, 3, 4, 5], [6, 7], [8], [2, 2, 3, 1]];
        var batch = PaddedBatch.From(texts, [0, 1, 2, 3], padId: 0);
        var expected = model.Forward(batch).ToArray();

        using var ort = new Ort(OnnxExport.Classifier(model).Model);
        var actual = ort.Run(("ids", Ort.Longs(batch.Ids), [batch.Steps, batch.BatchSize]), ("lengths", batch.Lengths, [batch.BatchSize]));
        Ort.AssertClose(expected, actual["logits"], $"{pooling} logits");
    }

    [Fact]
    public void TaggerWithEmbeddingMatches()
    {
        const int V = 8, K = 3;
        var model = new SequenceTagger(new RecurrentOptions(CellKind.Lstm, 4, 5, Layers: 1, Bidirectional: true), K, new Rng(13), V) { Training = false };
        var batch = PaddedBatch.From([[1, 2, 3], [4, 5, 6, 7, 1], [2]], [0, 1, 2], padId: 0);
        var expected = model.Forward(batch.Ids, batch.Steps, batch.BatchSize, batch.Lengths).Data.ToArray();

        using var ort = new Ort(OnnxExport.Tagger(model).Model);
        var actual = ort.Run(("ids", Ort.Longs(batch.Ids), [batch.Steps, batch.BatchSize]), ("lengths", batch.Lengths, [batch.BatchSize]));
        Ort.AssertClose(expected, actual["logits"], "logits");
    }

    [Fact]
    public void OneHotModelsMatch()
    {
        // One-hot input (no embedding): the graphs gather rows of an identity, so W_ih reads column id.
        const int V = 7, T = 4, B = 2;
        var rng = new Rng(17);
        var charModel = new CharLanguageModel(new CharLanguageModelConfig(V, CellKind.Lstm, 6, 2, Input: InputEncoding.OneHot), rng) { Training = false };
        int[] ids = [.. Enumerable.Range(0, T * B).Select(_ => rng.NextInt(V))];
        var (_, final) = charModel.Run(ids, null, T, B);
        var logits = charModel.Logits.ToArray();
        using (var ort = new Ort(OnnxExport.CharLanguageModel(charModel)[0].Model))
        {
            var zeros = new float[2 * B * 6];
            var actual = ort.Run(("ids", Ort.Longs(ids), [T, B]), ("h_in", zeros, [2, B, 6]), ("c_in", zeros, [2, B, 6]));
            Ort.AssertClose(logits, actual["logits"], "char logits");
            Ort.AssertClose(final.H.Data, actual["h_out"], "char h_out");
        }

        var classifier = new SequenceClassifier(new SequenceClassifierConfig(V, 3, CellKind.Gru, HiddenSize: 5, Layers: 1, Bidirectional: true,
            Input: InputEncoding.OneHot), rng) { Training = false };
        var batch = PaddedBatch.From([[1, 2, 3], [4, 5, 6, 1], [2]], [0, 1, 2], padId: 0);
        var expected = classifier.Forward(batch).ToArray();
        using (var ort = new Ort(OnnxExport.Classifier(classifier).Model))
            Ort.AssertClose(expected, ort.Run(("ids", Ort.Longs(batch.Ids), [batch.Steps, batch.BatchSize]), ("lengths", batch.Lengths, [batch.BatchSize]))["logits"], "classifier logits");

        var tagger = new SequenceTagger(new RecurrentOptions(CellKind.Lstm, V, 5), 3, rng, V, InputEncoding.OneHot) { Training = false };
        var tags = tagger.Forward(batch.Ids, batch.Steps, batch.BatchSize, batch.Lengths).Data.ToArray();
        using (var ort = new Ort(OnnxExport.Tagger(tagger).Model))
            Ort.AssertClose(tags, ort.Run(("ids", Ort.Longs(batch.Ids), [batch.Steps, batch.BatchSize]), ("lengths", batch.Lengths, [batch.BatchSize]))["logits"], "tagger logits");
    }

    /// <summary>Encoder graph, then the decoder-step graph three times with its state fed back, against StartDecoding and DecodeStep.</summary>
    [Theory]
    [InlineData(CellKind.Lstm, true, true)]
    [InlineData(CellKind.Gru, true, false)]
    [InlineData(CellKind.Lstm, false, true)]
    [InlineData(CellKind.RnnTanh, true, true)]
    [InlineData(CellKind.Lstm, true, true, true)]
    [InlineData(CellKind.Gru, true, false, true)]
    public void Seq2SeqEncoderAndDecoderStepsMatch(CellKind cell, bool attention, bool bidirectional, bool inputFeeding = false)
    {
        var config = new Seq2SeqConfig
        {
            Cell = cell, SourceVocabulary = 8, TargetVocabulary = 9, Embedding = 4, EncoderHidden = 5, EncoderLayers = 2,
            Bidirectional = bidirectional, DecoderHidden = 6, DecoderLayers = 2, Attention = attention, InputFeeding = inputFeeding,
        };
        var model = new Seq2Seq(config, new Rng(17));
        var source = PaddedBatch.From([[3, 4, 5, 6], [7, 3], [5]], [0, 1, 2], padId: 0);
        int S = source.Steps, B = source.BatchSize, Ld = 2, Hd = 6, V = 9;
        var decoderState = model.StartDecoding(source, beams: 1);
        var state = decoderState.Recurrent;

        var graphs = OnnxExport.Seq2Seq(model);
        Assert.Equal(["encoder", "decoder-step"], graphs.Select(g => g.Role));
        using var encoder = new Ort(graphs[0].Model);
        using var decoder = new Ort(graphs[1].Model);
        var encoded = encoder.Run(("source", Ort.Longs(source.Ids), [S, B]), ("source_lengths", source.Lengths, [B]));
        Ort.AssertClose(state.H.Data, encoded["h_out"], "initial h");
        if (state.C is not null) Ort.AssertClose(state.C.Data, encoded["c_out"], "initial c");
        Assert.Equal(attention, encoded.ContainsKey("memory"));

        var h = encoded["h_out"];
        var c = state.C is null ? null : encoded["c_out"];
        var feed = new float[B * Hd]; // h̃ before the first symbol: zeros
        int[] previous = [1, 1, 1];
        var expected = new float[B * V];
        for (int step = 0; step < 3; step++)
        {
            decoderState = model.DecodeStep(previous, decoderState, expected);
            state = decoderState.Recurrent;
            var inputs = new List<(string, Array, int[])> { ("previous", Ort.Longs(previous), [B]), ("h_in", h, [Ld, B, Hd]) };
            if (inputFeeding) inputs.Add(("feed_in", feed, [B, Hd]));
            if (c is not null) inputs.Add(("c_in", c, [Ld, B, Hd]));
            if (attention)
            {
                int De = model.EncoderOutputSize;
                inputs.Add(("memory", encoded["memory"], [B, S, De]));
                inputs.Add(("keys", encoded["keys"], [B, Hd, S]));
                inputs.Add(("source_lengths", source.Lengths, [B]));
            }
            var actual = decoder.Run([.. inputs]);
            Ort.AssertClose(expected, actual["log_probs"], $"log-probabilities at step {step}");
            Ort.AssertClose(state.H.Data, actual["h_out"], $"h at step {step}");
            h = actual["h_out"];
            if (c is not null) c = actual["c_out"];
            Assert.Equal(inputFeeding, actual.ContainsKey("feed_out"));
            if (inputFeeding)
            {
                Ort.AssertClose(decoderState.Feed!.Data, actual["feed_out"], $"h̃ at step {step}");
                feed = actual["feed_out"];
            }
            previous = [3 + step, 4, 8 - step];
        }
    }

    /// <summary>
    /// ONNX's LSTM always has a forget gate, so the 1997 LSTM is exported as Scan loops of elementary operators (its
    /// outputs are checked with the other cells above): no LSTM node, one Scan per layer and direction.
    /// </summary>
    [Fact]
    public void TheLstmWithoutForgetGateBecomesScanLoops()
    {
        var model = new SequenceTagger(new RecurrentOptions(CellKind.LstmNoForgetGate, 3, 4, Layers: 2, Bidirectional: true), 2, new Rng(1));
        var graph = Onnx.ModelProto.Parser.ParseFrom(OnnxExport.Tagger(model).Model).Graph;
        Assert.DoesNotContain(graph.Node, n => n.OpType == "LSTM");
        Assert.Equal(4, graph.Node.Count(n => n.OpType == "Scan"));
        Assert.Null(OnnxExport.Unsupported(model.Rnn.Options));
    }

    [Fact]
    public void ALearnedInitialStateIsRefused()
    {
        var model = new SequenceTagger(new RecurrentOptions(CellKind.Gru, 3, 4, InitialState: InitialStateMode.Learned), 2, new Rng(1));
        Assert.Contains("learned initial state", Assert.Throws<NotSupportedException>(() => OnnxExport.Tagger(model)).Message);
    }

    /// <summary>The gate blocks move as ONNX orders them: LSTM i, f, g, o → i, o, f, c; GRU r, z, n → z, r, h.</summary>
    [Fact]
    public void GateBlocksAreRegroupedInOnnxOrder()
    {
        var lstm = new Tensor([0, 1, 2, 3], 4);
        Assert.Equal([0f, 3, 1, 2], OnnxRecurrentStack.Regroup(CellKind.Lstm, lstm, 1));
        var gru = new Tensor([10, 11, 20, 21, 30, 31], 3, 2);   // r, z, n rows of [1, 2]
        Assert.Equal([20f, 21, 10, 11, 30, 31], OnnxRecurrentStack.Regroup(CellKind.Gru, gru, 1));
    }

    [Fact]
    public void GraphsDeclareTheIrVersionAndOpsetTheyAreCheckedWith()
    {
        var model = Onnx.ModelProto.Parser.ParseFrom(OnnxExport.Tagger(new SequenceTagger(new RecurrentOptions(CellKind.Gru, 2, 3), 2, new Rng(1))).Model);
        Assert.Equal(OnnxExport.IrVersion, model.IrVersion);
        Assert.Equal(OnnxExport.Opset, Assert.Single(model.OpsetImport).Version);
        var gru = Assert.Single(model.Graph.Node, n => n.OpType == "GRU");
        Assert.Equal(1, gru.Attribute.Single(a => a.Name == "linear_before_reset").I);
        Assert.Equal(0, gru.Attribute.Single(a => a.Name == "layout").I);
    }
}
