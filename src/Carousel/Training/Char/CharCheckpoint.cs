using System.Globalization;
using System.Text.Json;
using Carousel.Data;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Training.Char;

/// <summary>
/// A trained character language model with its vocabulary and options: a <see cref="ModelCheckpoint"/> of kind
/// "char-language-model/2" (metadata: options as JSON, vocabulary). Checkpoints of the format before the one training
/// loop ("carousel.char-language-model/1", which also held the run's position) still load, and still resume
/// (<see cref="ContinueEarlierRun"/>).
/// </summary>
/// <param name="Model">The model, in evaluation mode.</param>
/// <param name="Vocabulary">Its characters.</param>
/// <param name="Options">The options it was trained with.</param>
/// <param name="Step">The optimizer step its weights are from.</param>
public sealed record CharCheckpoint(CharLanguageModel Model, CharVocabulary Vocabulary, CharTrainingOptions Options, long Step)
{
    /// <summary>The model kind in <see cref="ModelCheckpoint"/> files.</summary>
    public const string Kind = "char-language-model/2";
    /// <summary>The kind of the format before the one training loop.</summary>
    public const string EarlierKind = "char-language-model/1";

    /// <summary>The model's sizes for the options and a vocabulary of <paramref name="vocabularySize"/> characters.</summary>
    public static CharLanguageModelConfig ModelConfig(CharTrainingOptions options, int vocabularySize) =>
        new(vocabularySize, options.Cell, options.Hidden, options.Layers, options.Embedding, options.Dropout,
            options.Input, options.OutputDropout, options.Init, options.InitialStateMode);

    /// <summary>The checkpoint's own metadata: the options and the vocabulary.</summary>
    public static Dictionary<string, string> Metadata(CharTrainingOptions options, CharVocabulary vocabulary) => new()
    {
        ["options"] = JsonSerializer.Serialize(options),
        ["vocabulary"] = vocabulary.ToString(),
    };

    /// <summary>Reads a checkpoint file or training directory (either format); another kind of checkpoint is a clear error.</summary>
    public static CharCheckpoint Load(string path)
    {
        var file = ReadEither(path);
        var (options, vocabulary) = ReadOptions(file);
        var model = new CharLanguageModel(ModelConfig(options, vocabulary.Count), new Rng(0));
        file.LoadWeights(model.NamedParameters());
        model.Training = false;
        return new CharCheckpoint(model, vocabulary, options, file.Step);
    }

    /// <summary>The options saved in a checkpoint of either format (to resume a run with them).</summary>
    public static CharTrainingOptions ReadOptions(string path) => ReadOptions(ReadEither(path)).Options;

    /// <summary>
    /// A run saved in the format before the one training loop (DIR/checkpoint.safetensors of kind
    /// <see cref="EarlierKind"/>, which held where the run stood), as the <see cref="LastCheckpoint"/> the loop continues;
    /// null when the directory holds no such checkpoint. That format had no data fingerprint: the vocabulary is checked instead.
    /// </summary>
    public static LastCheckpoint? ContinueEarlierRun(string directory, CharTraining training)
    {
        if (!File.Exists(ModelCheckpoint.Resolve(directory))) return null;
        var file = ReadEither(directory);
        if (file.Kind != EarlierKind) return null;
        long perEpoch = training.StepsPerEpoch;
        var position = new TrainingPosition
        {
            Step = file.Step,
            EpochsCompleted = checked((int)(file.Step / perEpoch)),
            BatchesIntoEpoch = (int)(file.Step % perEpoch),
            BatchRng = file.Metadata.TryGetValue("batch_rng", out var batch) ? ParseState(batch, file.Path) : [],
            StreamPosition = ParseCount(file.Get("stream_position"), file.Path, "stream_position"),
            DropoutRngs = file.Metadata.TryGetValue("dropout_rng", out var dropout) ? [ParseState(dropout, file.Path)] : [],
            DataFingerprint = training.Identity.DataFingerprint,
        };
        return new LastCheckpoint(file, position, directory);
    }

    private static ModelCheckpoint ReadEither(string path) => ModelCheckpoint.Load(path, Kind, EarlierKind);

    private static (CharTrainingOptions Options, CharVocabulary Vocabulary) ReadOptions(ModelCheckpoint file)
    {
        CharTrainingOptions options;
        try
        {
            options = file.GetJson<CharTrainingOptions>("options");
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{file.Path}: checkpoint options are unreadable: {e.Message}");
        }
        return (options, CharVocabulary.Parse(file.Get("vocabulary")));
    }

    private static long ParseCount(string text, string file, string key) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) && v >= 0 ? v
            : throw new InvalidDataException($"{file}: checkpoint '{key}' is not a count: '{text}'.");

    private static ulong[] ParseState(string text, string file)
    {
        var parts = text.Split(',');
        var words = new ulong[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!ulong.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out words[i]))
                throw new InvalidDataException($"{file}: random-number state is unreadable.");
        if (words.Length != 4 || words.All(w => w == 0)) throw new InvalidDataException($"{file}: random-number state is unreadable.");
        return words;
    }
}
