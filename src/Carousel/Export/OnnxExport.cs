using Carousel.IO;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Training;
using Carousel.Training.Char;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Tagging;
using static Carousel.Export.OnnxGraphBuilder;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Carousel.Export;

/// <summary>
/// Exports trained models to ONNX (IR version 8, opset 17), so that ONNX Runtime or any ONNX reader runs them. The
/// recurrent stacks become ONNX's own LSTM, GRU and RNN operators, and the 1997 LSTM without forget gate, which has no
/// ONNX operator, exact Scan loops; ids are int64, lengths int32, everything else float32; T, S and B are free dimensions.
/// <list type="bullet">
/// <item>Char language model: a sequence graph (ids [T, B], state → logits [T, B, V], state) and a step graph for
/// sampling (token [B], state → logits [B, V], state). The state is h [L, B, H] and, for LSTMs, c [L, B, H].</item>
/// <item>Classifier: ids [T, B], lengths [B] → logits [B, K], pooled as the model pools.</item>
/// <item>Tagger: ids [T, B] (or features [T, B, F]), lengths [B] → logits [T, B, K].</item>
/// <item>Seq2seq: an encoder graph (source [S, B], source_lengths [B] → the decoder's initial state, and the attention's
/// memory [B, S, De] and keys [B, Hd, S]) and a decoder-step graph (previous symbols [B], state, memory, keys,
/// source_lengths → log-probabilities [B, V], state), which greedy or beam search calls once per symbol.</item>
/// </list>
/// </summary>
public static class OnnxExport
{
    /// <summary>The ONNX IR version written.</summary>
    public const long IrVersion = OnnxGraphBuilder.IrVersion;

    /// <summary>The version of the default operator set the graphs use.</summary>
    public const long Opset = OnnxGraphBuilder.Opset;

    /// <summary>Why a recurrent stack cannot be exported (a learned initial state), or null when it can.</summary>
    public static string? Unsupported(RecurrentOptions options) => OnnxRecurrentStack.Unsupported(options);

    /// <summary>
    /// Exports the model of a training directory or checkpoint file of any kind this exporter knows (char model,
    /// classifier, tagger, seq2seq) and writes its graphs at <paramref name="onnxPath"/> (see <see cref="Write"/>).
    /// Returns the files written. A model that cannot be exported is a <see cref="NotSupportedException"/>.
    /// </summary>
    public static IReadOnlyList<string> ExportCheckpoint(string checkpointPath, string onnxPath) => Write(FromCheckpoint(checkpointPath), onnxPath);

    /// <summary>The graphs of the model in a training directory or checkpoint file, with its vocabulary and labels as metadata.</summary>
    public static IReadOnlyList<OnnxGraph> FromCheckpoint(string checkpointPath)
    {
        string kind = ModelCheckpoint.ReadKind(checkpointPath);
        switch (kind)
        {
            case CharCheckpoint.Kind or CharCheckpoint.EarlierKind:
                var chars = CharCheckpoint.Load(checkpointPath);
                return CharLanguageModel(chars.Model, Prefixed(kind, CharCheckpoint.Metadata(chars.Options, chars.Vocabulary)));
            case ClassifierCheckpoint.Kind:
                var classifier = ClassifierCheckpoint.Load(checkpointPath);
                return [Classifier(classifier.Model, Prefixed(kind, classifier.Metadata()))];
            case TaggerCheckpoint.Kind:
                var tagger = TaggerCheckpoint.Load(checkpointPath);
                return [Tagger(tagger.Model, Prefixed(kind, tagger.Metadata()))];
            case Seq2SeqCheckpoint.Kind:
                var s2s = Seq2SeqCheckpoint.Load(checkpointPath);
                return Seq2Seq(s2s.Model, Prefixed(kind, Seq2SeqCheckpoint.ModelMetadata(s2s.Model, s2s.SourceVocabulary, s2s.TargetVocabulary, s2s.SourceTokens)));
            default:
                throw new NotSupportedException($"{ModelCheckpoint.Resolve(checkpointPath)}: ONNX export knows char-language-model, "
                    + $"sequence-classifier, sequence-tagger and seq2seq checkpoints, not {kind}.");
        }
    }

    /// <summary>
    /// Writes the graphs (atomically; the directory is created when missing): the first at <paramref name="onnxPath"/> when its suffix is empty, every other
    /// beside it with its <see cref="OnnxGraph.FileSuffix"/> before the extension (model.onnx, model-step.onnx;
    /// model-encoder.onnx, model-decoder.onnx). Returns the files written.
    /// </summary>
    public static IReadOnlyList<string> Write(IReadOnlyList<OnnxGraph> graphs, string onnxPath)
    {
        string directory = Path.GetDirectoryName(onnxPath) ?? "";   // siblings named as the path was given (relative stays relative)
        string stem = Path.GetFileNameWithoutExtension(onnxPath);
        string extension = Path.GetExtension(onnxPath) is { Length: > 0 } e ? e : ".onnx";
        if (Path.GetFileName(onnxPath) == "") throw new ArgumentException($"'{onnxPath}' names no file.", nameof(onnxPath));
        if (directory != "") Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var graph in graphs)
        {
            string path = graph.FileSuffix == "" ? onnxPath : Path.Combine(directory, stem + graph.FileSuffix + extension);
            AtomicFile.WriteAllBytes(path, graph.Model);
            written.Add(path);
        }
        return written;
    }

    /// <summary>The char model's sequence graph and its step graph for sampling.</summary>
    /// <param name="model">The model (its current weights are copied).</param>
    /// <param name="metadata">Key-value pairs stored in each model (vocabulary, options, ...).</param>
    public static IReadOnlyList<OnnxGraph> CharLanguageModel(CharLanguageModel model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Require(model.Rnn.Options);
        return [CharGraph(model, step: false, metadata), CharGraph(model, step: true, metadata)];
    }

    private static OnnxGraph CharGraph(CharLanguageModel model, bool step, IReadOnlyDictionary<string, string>? metadata)
    {
        var c = model.Config;
        var g = new OnnxGraphBuilder(step ? "carousel_char_step" : "carousel_char_sequence");
        int L = c.Layers, H = c.HiddenSize, V = c.VocabularySize;
        bool hasCell = c.Cell.HasCellState();
        string ids = step ? g.Input("token", DataType.Int64, "B") : g.Input("ids", DataType.Int64, "T", "B");
        string h = g.Input("h_in", DataType.Float, L, "B", H);
        string? cIn = hasCell ? g.Input("c_in", DataType.Float, L, "B", H) : null;

        string x = SymbolInput(g, model.Embedding, V, step ? g.Unsqueeze(ids, 0) : ids);
        var rnn = OnnxRecurrentStack.Add(g, "rnn", model.Rnn, x, lengths: null, h, cIn);   // [T, B, H]
        string features = step ? g.Squeeze(rnn.Output, 0) : rnn.Output;
        string logits = g.Linear(features, "output", model.Output.Weight.Value, model.Output.Bias?.Value);
        if (step) g.Output(logits, "logits", DataType.Float, "B", V);
        else g.Output(logits, "logits", DataType.Float, "T", "B", V);
        g.Output(rnn.FinalH, "h_out", DataType.Float, L, "B", H);
        if (hasCell) g.Output(rnn.FinalC!, "c_out", DataType.Float, L, "B", H);

        string state = hasCell ? $"h_in, c_in float [{L}, B, {H}]" : $"h_in float [{L}, B, {H}]";
        string outState = hasCell ? $"h_out, c_out float [{L}, B, {H}]" : $"h_out float [{L}, B, {H}]";
        string signature = step
            ? $"inputs: token int64 [B], {state} (zeros to start)\noutputs: logits float [B, {V}], {outState}"
            : $"inputs: ids int64 [T, B], {state} (zeros to start)\noutputs: logits float [T, B, {V}], {outState}";
        return Graph(g, step ? "step" : "sequence", step ? "-step" : "", signature, metadata);
    }

    /// <summary>
    /// The first layer's input for symbol ids: the embedding's rows, or for one-hot input (no embedding) the rows of an
    /// identity [V, V], so that W_ih reads column id as Carousel's one-hot lookup does.
    /// </summary>
    private static string SymbolInput(OnnxGraphBuilder g, Embedding? embedding, int vocabulary, string ids)
    {
        if (embedding is not null)
            return g.Op("Gather", "embedded", [g.Weight("embedding.weight", embedding.Weight.Value.Data, embedding.VocabularySize, embedding.Dimension), ids]);
        var identity = new float[vocabulary * vocabulary];
        for (int v = 0; v < vocabulary; v++) identity[v * vocabulary + v] = 1f;
        return g.Op("Gather", "one_hot", [g.Weight("one_hot", identity, vocabulary, vocabulary), ids]);
    }

    /// <summary>The classifier's graph: ids [T, B], lengths [B] → logits [B, K].</summary>
    public static OnnxGraph Classifier(SequenceClassifier model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Require(model.Rnn.Options);
        var c = model.Config;
        var g = new OnnxGraphBuilder("carousel_classifier");
        int W = model.Rnn.Options.OutputSize, K = c.Classes;
        string ids = g.Input("ids", DataType.Int64, "T", "B");
        string lengths = g.Input("lengths", DataType.Int32, "B");
        string x = SymbolInput(g, model.Embedding, c.VocabularySize, ids);
        var rnn = OnnxRecurrentStack.Add(g, "rnn", model.Rnn, x, lengths);
        string summary;   // [B, D·H]
        switch (c.Pooling)
        {
            case SequencePooling.Last:
                // The top layer's final states are each direction's own end: forward at the last real step, reverse at step 0.
                summary = g.Reshape(g.Transpose(rnn.TopH, 1, 0, 2), 0, -1);
                break;
            case SequencePooling.Mean:
                // Masked although ONNX Runtime writes zeros past each end: ONNX itself leaves those outputs unspecified.
                string inside = g.Unsqueeze(g.StepMask(ids, 0, lengths), 2);   // [T, B, 1]
                string sum = g.Op("ReduceSum", "sum", [g.Op("Where", "masked", [inside, rnn.Output, g.Scalar("zero", 0f)]), g.Int64s("axes", [0])],
                    Attribute("keepdims", 0));
                string count = g.Unsqueeze(g.Op("Cast", "count", [lengths], Attribute("to", (long)DataType.Float)), 1);
                summary = g.Op("Div", "mean", [sum, count]);
                break;
            default:
                string within = g.Unsqueeze(g.StepMask(ids, 0, lengths), 2);
                summary = g.Op("ReduceMax", "max", [g.Op("Where", "masked", [within, rnn.Output, g.Scalar("minus_infinity", float.NegativeInfinity)])],
                    Attribute("axes", [0]), Attribute("keepdims", 0));
                break;
        }
        string logits = g.Linear(summary, "output", model.Output.Weight.Value, model.Output.Bias?.Value);
        g.Output(logits, "logits", DataType.Float, "B", K);
        string signature = $"inputs: ids int64 [T, B], lengths int32 [B] (each 1..T)\noutputs: logits float [B, {K}] ({c.Pooling.ToString().ToLowerInvariant()} pooling of a {W}-wide stack)";
        return Graph(g, "classifier", "", signature, metadata);
    }

    /// <summary>The tagger's graph: ids [T, B] (or features [T, B, F] without embedding), lengths [B] → logits [T, B, K].</summary>
    public static OnnxGraph Tagger(SequenceTagger model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var o = model.Rnn.Options;
        Require(o);
        var g = new OnnxGraphBuilder("carousel_tagger");
        int K = model.OutputCount;
        string x, first;
        if (model.Embedding is not null || model.OneHotSymbols > 0)
        {
            string ids = g.Input("ids", DataType.Int64, "T", "B");
            x = SymbolInput(g, model.Embedding, model.OneHotSymbols, ids);
            first = "ids int64 [T, B]";
        }
        else
        {
            x = g.Input("features", DataType.Float, "T", "B", o.InputSize);
            first = $"features float [T, B, {o.InputSize}]";
        }
        string lengths = g.Input("lengths", DataType.Int32, "B");
        var rnn = OnnxRecurrentStack.Add(g, "rnn", model.Rnn, x, lengths);
        // ONNX leaves Y past a sequence's end unspecified (ONNX Runtime writes zeros); Carousel's stack writes zeros: made explicit.
        string inside = g.Unsqueeze(g.StepMask(x, 0, lengths), 2);   // [T, B, 1]
        string y = g.Op("Where", "masked", [inside, rnn.Output, g.Scalar("zero", 0f)]);
        string logits = g.Linear(y, "output", model.Output.Weight.Value, model.Output.Bias?.Value);
        g.Output(logits, "logits", DataType.Float, "T", "B", K);
        string signature = $"inputs: {first}, lengths int32 [B] (each 0..T)\noutputs: logits float [T, B, {K}] (past a sequence's end: the output layer's bias)";
        return Graph(g, "tagger", "", signature, metadata);
    }

    /// <summary>The seq2seq model's encoder graph and its decoder-step graph (with Luong attention when the model has it).</summary>
    public static IReadOnlyList<OnnxGraph> Seq2Seq(Seq2Seq model, IReadOnlyDictionary<string, string>? metadata = null)
    {
        Require(model.Encoder.Options);
        Require(model.Decoder.Options);
        return [Seq2SeqEncoder(model, metadata), Seq2SeqDecoderStep(model, metadata)];
    }

    private static OnnxGraph Seq2SeqEncoder(Seq2Seq model, IReadOnlyDictionary<string, string>? metadata)
    {
        var c = model.Config;
        var g = new OnnxGraphBuilder("carousel_seq2seq_encoder");
        int De = model.EncoderOutputSize, Ld = c.DecoderLayers, Hd = c.DecoderHidden;
        bool hasCell = c.Cell.HasCellState();
        string source = g.Input("source", DataType.Int64, "S", "B");
        string lengths = g.Input("source_lengths", DataType.Int32, "B");
        string x = g.Op("Gather", "embedded", [g.Weight("source_embedding.weight", model.SourceEmbedding.Weight.Value.Data, c.SourceVocabulary, c.Embedding), source]);
        var encoder = OnnxRecurrentStack.Add(g, "encoder", model.Encoder, x, lengths);

        // Bridge: the top layer's final states [D, B, He] as rows [B, D·He] ([fwd; bwd]) → [B, Ld·Hd] → [Ld, B, Hd].
        string Bridge(string top, Linear linear, bool tanh, string stem)
        {
            string rows = g.Reshape(g.Transpose(top, 1, 0, 2), 0, -1);
            string y = g.Linear(rows, stem, linear.Weight.Value, linear.Bias?.Value);
            if (tanh) y = g.Op("Tanh", stem, [y]);
            return g.Transpose(g.Reshape(y, 0, Ld, Hd), 1, 0, 2);
        }
        g.Output(Bridge(encoder.TopH, model.BridgeH, tanh: true, "bridge_h"), "h_out", DataType.Float, Ld, "B", Hd);
        if (hasCell) g.Output(Bridge(encoder.TopC!, model.BridgeC!, tanh: false, "bridge_c"), "c_out", DataType.Float, Ld, "B", Hd);
        string state = hasCell ? $"h_out, c_out float [{Ld}, B, {Hd}]" : $"h_out float [{Ld}, B, {Hd}]";
        string signature = $"inputs: source int64 [S, B], source_lengths int32 [B] (each 1..S)\noutputs: {state} (the decoder's initial state)";
        if (model.Attention is { } attention)
        {
            // memory [B, S, De] and keys W_a·e as [B, Hd, S]: the layouts the decoder step multiplies with, made once per source.
            g.Output(g.Transpose(encoder.Output, 1, 0, 2), "memory", DataType.Float, "B", "S", De);
            g.Output(g.Transpose(g.Linear(encoder.Output, "attention.linear_in", attention.LinearIn.Weight.Value, null), 1, 2, 0), "keys", DataType.Float, "B", Hd, "S");
            signature += $", memory float [B, S, {De}], keys float [B, {Hd}, S]";
        }
        return Graph(g, "encoder", "-encoder", signature, metadata);
    }

    private static OnnxGraph Seq2SeqDecoderStep(Seq2Seq model, IReadOnlyDictionary<string, string>? metadata)
    {
        var c = model.Config;
        var g = new OnnxGraphBuilder("carousel_seq2seq_decoder_step");
        int De = model.EncoderOutputSize, Ld = c.DecoderLayers, Hd = c.DecoderHidden, V = c.TargetVocabulary;
        bool hasCell = c.Cell.HasCellState();
        string previous = g.Input("previous", DataType.Int64, "B");
        string h = g.Input("h_in", DataType.Float, Ld, "B", Hd);
        string? cIn = hasCell ? g.Input("c_in", DataType.Float, Ld, "B", Hd) : null;
        string state = hasCell ? $"h_in, c_in float [{Ld}, B, {Hd}]" : $"h_in float [{Ld}, B, {Hd}]";
        string outState = hasCell ? $"h_out, c_out float [{Ld}, B, {Hd}]" : $"h_out float [{Ld}, B, {Hd}]";
        string inputs = $"previous int64 [B] (the start symbol first), {state}";

        string x = g.Op("Gather", "embedded", [g.Weight("target_embedding.weight", model.TargetEmbedding.Weight.Value.Data, V, c.Embedding), g.Unsqueeze(previous, 0)]);
        if (c.InputFeeding)
        {
            // input feeding: x [1, B, E + Hd] = [embedding; h̃ of the step before] (zeros before the first symbol)
            string feedIn = g.Input("feed_in", DataType.Float, "B", Hd);
            inputs += $", feed_in float [B, {Hd}] (the last step's feed_out; zeros at the start)";
            x = g.Op("Concat", "embedded_fed", [x, g.Unsqueeze(feedIn, 0)], Attribute("axis", 2));
        }
        var decoder = OnnxRecurrentStack.Add(g, "decoder", model.Decoder, x, lengths: null, h, cIn);
        string query = g.Squeeze(decoder.Output, 0);   // [B, Hd]
        string features = query;
        if (model.Attention is { } attention)
        {
            string memory = g.Input("memory", DataType.Float, "B", "S", De);
            string keys = g.Input("keys", DataType.Float, "B", Hd, "S");
            string lengths = g.Input("source_lengths", DataType.Int32, "B");
            inputs += $", memory float [B, S, {De}], keys float [B, {Hd}, S], source_lengths int32 [B] (from the encoder graph)";
            // scores [B, 1, S] = h [B, 1, Hd] · keys [B, Hd, S]; padding gets −∞, so no weight after the softmax.
            string scores = g.Op("MatMul", "scores", [g.Unsqueeze(query, 1), keys]);
            string inside = g.Unsqueeze(g.Transpose(g.StepMask(memory, 1, lengths), 1, 0), 1);   // [S, B] → [B, 1, S]
            string weights = g.Op("Softmax", "attention_weights",
                [g.Op("Where", "masked_scores", [inside, scores, g.Scalar("minus_infinity", float.NegativeInfinity)])], Attribute("axis", -1));
            string context = g.Squeeze(g.Op("MatMul", "context", [weights, memory]), 1);   // [B, De]
            string joined = g.Op("Concat", "context_query", [context, query], Attribute("axis", 1));   // [B, De + Hd]
            features = g.Op("Tanh", "attentional", [g.Linear(joined, "attention.linear_out", attention.LinearOut.Weight.Value, null)]);
        }
        string logits = g.Linear(features, "output", model.Output.Weight.Value, model.Output.Bias?.Value);
        g.Output(g.Op("LogSoftmax", "log_probs", [logits], Attribute("axis", -1)), "log_probs", DataType.Float, "B", V);
        g.Output(decoder.FinalH, "h_out", DataType.Float, Ld, "B", Hd);
        if (hasCell) g.Output(decoder.FinalC!, "c_out", DataType.Float, Ld, "B", Hd);
        if (c.InputFeeding)
        {
            g.Output(g.Op("Identity", "feed", [features]), "feed_out", DataType.Float, "B", Hd);
            outState += $", feed_out float [B, {Hd}] (h̃, the next step's feed_in)";
        }
        string signature = $"inputs: {inputs}\noutputs: log_probs float [B, {V}], {outState}"
            + (c.RightToLeft ? "\na right-to-left model: it writes the target last symbol first; reverse what it writes" : "");
        return Graph(g, "decoder-step", "-decoder", signature, metadata);
    }

    private static void Require(RecurrentOptions options)
    {
        if (OnnxRecurrentStack.Unsupported(options) is { } reason) throw new NotSupportedException(reason);
    }

    private static OnnxGraph Graph(OnnxGraphBuilder g, string role, string suffix, string signature, IReadOnlyDictionary<string, string>? metadata)
    {
        var entries = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { ["carousel.graph"] = role };
        return new OnnxGraph(role, suffix, g.ToModel(entries, signature), signature);
    }

    // The checkpoint's own metadata under "carousel.", with its kind.
    private static Dictionary<string, string> Prefixed(string kind, IReadOnlyDictionary<string, string> metadata)
    {
        var result = metadata.ToDictionary(kv => "carousel." + kv.Key, kv => kv.Value);
        result["carousel.kind"] = kind;
        return result;
    }
}
