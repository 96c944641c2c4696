using System.Text.Json;
using Carousel.Data;
using Carousel.Models;
using Carousel.Optimizers;

namespace Carousel.Training.EncoderDecoder;

/// <summary>
/// A <see cref="Seq2Seq"/> model with what it needs to read and write symbols, saved as a <see cref="ModelCheckpoint"/>
/// of kind "seq2seq/1": weights under their names, optimizer state, and metadata "config" (JSON of
/// <see cref="Seq2SeqConfig"/>), "source_vocabulary" and "target_vocabulary" (JSON arrays of symbols by id),
/// "source_tokens" (chars or words), "training" (the options, JSON) and "evaluation" (the scores that made it the best).
/// </summary>
/// <param name="Model">The model, in evaluation mode once loaded.</param>
/// <param name="SourceVocabulary">The source symbols by id.</param>
/// <param name="TargetVocabulary">The target symbols by id.</param>
/// <param name="SourceTokens">Whether a source is read as characters or as space-separated words.</param>
/// <param name="Step">The optimizer step its weights are from.</param>
/// <param name="Metadata">The file's own metadata entries as read ("training", "evaluation", ...).</param>
public sealed record Seq2SeqCheckpoint(Seq2Seq Model, TokenVocabulary SourceVocabulary, TokenVocabulary TargetVocabulary,
    SourceTokens SourceTokens, long Step, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>The model kind written into (and required of) its checkpoint files.</summary>
    public const string Kind = "seq2seq/1";

    /// <summary>Writes DIR/checkpoint.safetensors (weights, optimizer state when given, the model's metadata) and DIR/model.safetensors.</summary>
    public static void Save(string directory, Seq2Seq model, TokenVocabulary source, TokenVocabulary target, SourceTokens sourceTokens,
        Optimizer? optimizer, long step) =>
        ModelCheckpoint.SaveToDirectory(directory, Kind, model.NamedParameters(), optimizer, ModelMetadata(model, source, target, sourceTokens), step);

    /// <summary>The model's own metadata: config, both vocabularies and the source tokens.</summary>
    public static Dictionary<string, string> ModelMetadata(Seq2Seq model, TokenVocabulary source, TokenVocabulary target, SourceTokens sourceTokens) => new()
    {
        ["config"] = JsonSerializer.Serialize(model.Config),
        ["source_vocabulary"] = JsonSerializer.Serialize(source.Symbols),
        ["target_vocabulary"] = JsonSerializer.Serialize(target.Symbols),
        ["source_tokens"] = sourceTokens == SourceTokens.Words ? "words" : "chars",
    };

    /// <summary>
    /// The checkpoint whose weights are the mean of <paramref name="checkpoints"/>' (checkpoint averaging, see
    /// <see cref="WeightAveraging"/>): all must have the same model configuration, vocabularies and source tokens. The result
    /// keeps the first one's metadata and the largest step; the first checkpoint's model is reused for it.
    /// </summary>
    public static Seq2SeqCheckpoint Average(IReadOnlyList<Seq2SeqCheckpoint> checkpoints)
    {
        if (checkpoints.Count == 0) throw new ArgumentException("Averaging needs at least one checkpoint.");
        var first = checkpoints[0];
        foreach (var other in checkpoints.Skip(1))
        {
            if (other.Model.Config != first.Model.Config) throw new InvalidDataException("The checkpoints to average have different model configurations.");
            if (!other.SourceVocabulary.Symbols.SequenceEqual(first.SourceVocabulary.Symbols) || !other.TargetVocabulary.Symbols.SequenceEqual(first.TargetVocabulary.Symbols)
                || other.SourceTokens != first.SourceTokens)
                throw new InvalidDataException("The checkpoints to average have different vocabularies.");
        }
        WeightAveraging.Average([.. checkpoints.Select(c => c.Model.NamedParameters())], first.Model.NamedParameters());
        return first with { Step = checkpoints.Max(c => c.Step) };
    }

    /// <summary>Reads a checkpoint (file or training directory); a checkpoint of another model kind is a clear error.</summary>
    public static Seq2SeqCheckpoint Load(string path)
    {
        var checkpoint = ModelCheckpoint.Load(path, Kind);
        var config = checkpoint.GetJson<Seq2SeqConfig>("config");
        var source = TokenVocabulary.FromSymbols(checkpoint.GetJson<string[]>("source_vocabulary"));
        var target = TokenVocabulary.FromSymbols(checkpoint.GetJson<string[]>("target_vocabulary"));
        if (source.Count != config.SourceVocabulary || target.Count != config.TargetVocabulary)
            throw new InvalidDataException($"{checkpoint.Path}: the vocabularies do not match the model's sizes.");
        var sourceTokens = SequencePairs.ParseSourceTokens(checkpoint.Get("source_tokens"));
        Seq2Seq model;
        try { model = new Seq2Seq(config, new Tensors.Rng(0)); }
        catch (ArgumentException e) { throw new InvalidDataException($"{checkpoint.Path}: unusable model configuration: {e.Message}"); }
        checkpoint.LoadWeights(model.NamedParameters());
        model.Training = false;
        return new Seq2SeqCheckpoint(model, source, target, sourceTokens, checkpoint.Step, checkpoint.Metadata);
    }
}
