using Carousel.Data;
using Carousel.Training.EncoderDecoder;

namespace Carousel.Serving;

/// <summary>An encoder-decoder: converts a source (e.g. a spelling) into a target (a pronunciation), greedy or by beam search.</summary>
public sealed class ServedSeq2Seq(string name, string path, Seq2SeqCheckpoint checkpoint) : ServedModel(name, path, checkpoint.Step)
{
    /// <inheritdoc/>
    public override string Kind => Kinds.Seq2Seq;

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, object> Details { get; } = new Dictionary<string, object>
    {
        ["sourceTokens"] = checkpoint.SourceTokens == SourceTokens.Words ? "words" : "chars",
        ["attention"] = checkpoint.Model.Config.Attention,
    };

    /// <summary>The <paramref name="nbest"/> best outputs for <paramref name="source"/>, best first.</summary>
    public IReadOnlyList<Prediction> Predict(string source, int beam, int nbest, double lengthPenalty)
    {
        var symbols = SequencePairs.SplitSource(source.Trim(), checkpoint.SourceTokens);
        if (symbols.Length == 0) throw RequestException.BadRequest("The source is empty.");
        int[] ids;
        try { ids = checkpoint.SourceVocabulary.Encode(symbols, "the source"); }
        catch (InvalidDataException e) { throw RequestException.BadRequest(e.Message); }
        var decoded = Seq2SeqEvaluator.Decode(checkpoint.Model, [ids], Math.Max(beam, nbest), lengthPenalty);
        return [.. decoded[0].Take(nbest).Select(h =>
            new Prediction(string.Join(' ', checkpoint.TargetVocabulary.Decode(h.Tokens)), Math.Round(h.LogProbability, 6), h.Finished))];
    }
}
