using System.Globalization;
using System.Text.Json;
using Carousel.Data;
using Carousel.IO;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training.Char;

/// <summary>
/// One file that holds a character language model and everything needed to continue training it exactly:
/// weights under their PyTorch names, optimizer state ("optimizer.exp_avg.rnn.weight_ih_l0", ...), the carried
/// state of stream batching, and in the metadata the options, vocabulary, step and random-number states.
/// It is a standard safetensors file, written atomically.
/// </summary>
public sealed class CharCheckpoint
{
    public const string FormatName = "carousel.char-language-model/1";
    public const string FileName = "checkpoint.safetensors";
    public const string WeightsFileName = "model.safetensors";

    private const string OptimizerPrefix = "optimizer.";
    private const string CarriedPrefix = "carried.";

    public required CharTrainingOptions Options { get; init; }
    public required CharVocabulary Vocabulary { get; init; }
    public required CharLanguageModel Model { get; init; }
    public long Step { get; init; }
    public ulong[]? BatchRngState { get; init; }
    public ulong[]? DropoutRngState { get; init; }
    public long StreamPosition { get; init; }
    public RecurrentState? CarriedState { get; init; }
    public IReadOnlyDictionary<string, Tensor> OptimizerState { get; init; } = new Dictionary<string, Tensor>();
    public long OptimizerSteps { get; init; }

    public static CharLanguageModelConfig ModelConfig(CharTrainingOptions options, int vocabularySize) =>
        new(vocabularySize, options.Cell, options.Hidden, options.Layers, options.Embedding, options.Dropout);

    /// <summary>The checkpoint file of a training directory, or the path itself when it names a file.</summary>
    public static string Resolve(string path) => Directory.Exists(path) ? Path.Combine(path, FileName) : path;

    public void Save(string path, Optimizer? optimizer)
    {
        var entries = new List<SafeTensorsWriteEntry>();
        foreach (var (name, p) in Model.NamedParameters()) entries.Add(SafeTensorsWriteEntry.FromTensor(name, p.Value));
        if (optimizer is not null)
            foreach (var (key, t) in optimizer.State) entries.Add(SafeTensorsWriteEntry.FromTensor(OptimizerPrefix + key, t));
        if (CarriedState is not null)
        {
            entries.Add(SafeTensorsWriteEntry.FromTensor(CarriedPrefix + "h", CarriedState.H));
            if (CarriedState.C is not null) entries.Add(SafeTensorsWriteEntry.FromTensor(CarriedPrefix + "c", CarriedState.C));
        }
        var metadata = new Dictionary<string, string>
        {
            ["format"] = FormatName,
            ["options"] = JsonSerializer.Serialize(Options),
            ["vocabulary"] = Vocabulary.ToString(),
            ["step"] = Step.ToString(CultureInfo.InvariantCulture),
            ["optimizer_steps"] = (optimizer?.StepCount ?? OptimizerSteps).ToString(CultureInfo.InvariantCulture),
            ["stream_position"] = StreamPosition.ToString(CultureInfo.InvariantCulture),
        };
        if (BatchRngState is not null) metadata["batch_rng"] = string.Join(",", BatchRngState);
        if (DropoutRngState is not null) metadata["dropout_rng"] = string.Join(",", DropoutRngState);
        SafeTensors.Write(path, entries, metadata);
    }

    /// <summary>Saves only the weights, for use elsewhere (PyTorch: safetensors.torch.load_file).</summary>
    public void SaveWeights(string path) => StateDict.Save(path, Model.NamedParameters(),
        new Dictionary<string, string> { ["format"] = "pytorch-state-dict", ["model"] = JsonSerializer.Serialize(ModelConfig(Options, Vocabulary.Count)) });

    public static CharCheckpoint Load(string path)
    {
        string file = Resolve(path);
        if (!File.Exists(file)) throw new FileNotFoundException($"No checkpoint at '{path}'.", file);
        var st = SafeTensors.Read(file);
        if (!st.Metadata.TryGetValue("format", out var format) || format != FormatName)
            throw new InvalidDataException($"{file}: not a Carousel character language-model checkpoint (format '{format ?? "none"}').");
        string Get(string key) => st.Metadata.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{file}: checkpoint metadata lacks '{key}'.");
        CharTrainingOptions options;
        try
        {
            options = JsonSerializer.Deserialize<CharTrainingOptions>(Get("options")) ?? throw new InvalidDataException($"{file}: empty options.");
            options.Validate();
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new InvalidDataException($"{file}: checkpoint options are unreadable: {e.Message}");
        }
        var vocabulary = CharVocabulary.Parse(Get("vocabulary"));
        var model = new CharLanguageModel(ModelConfig(options, vocabulary.Count), new Rng(0));
        var modelEntries = st.Entries.Where(e => !e.Name.StartsWith(OptimizerPrefix) && !e.Name.StartsWith(CarriedPrefix)).Select(e => e.Name).ToHashSet();
        StateDict.Load(st, model.NamedParameters(), strict: false).ThrowIfMissing(file);
        var unexpected = modelEntries.Except(model.NamedParameters().Select(p => p.Name)).ToList();
        if (unexpected.Count > 0) throw new InvalidDataException($"{file}: tensors the model does not have: {string.Join(", ", unexpected)}.");

        var optimizerState = st.Entries.Where(e => e.Name.StartsWith(OptimizerPrefix))
            .ToDictionary(e => e.Name[OptimizerPrefix.Length..], e => e.ToTensor());
        RecurrentState? carried = null;
        if (st.Contains(CarriedPrefix + "h"))
            carried = new RecurrentState(st[CarriedPrefix + "h"].ToTensor(), st.Contains(CarriedPrefix + "c") ? st[CarriedPrefix + "c"].ToTensor() : null);

        return new CharCheckpoint
        {
            Options = options,
            Vocabulary = vocabulary,
            Model = model,
            Step = ParseLong(Get("step"), file, "step"),
            OptimizerSteps = ParseLong(Get("optimizer_steps"), file, "optimizer_steps"),
            StreamPosition = ParseLong(Get("stream_position"), file, "stream_position"),
            BatchRngState = st.Metadata.TryGetValue("batch_rng", out var b) ? ParseState(b, file) : null,
            DropoutRngState = st.Metadata.TryGetValue("dropout_rng", out var d) ? ParseState(d, file) : null,
            OptimizerState = optimizerState,
            CarriedState = carried,
        };
    }

    private static long ParseLong(string text, string file, string key) =>
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

internal static class StateDictLoadResultExtensions
{
    public static void ThrowIfMissing(this StateDictLoadResult result, string file)
    {
        if (result.MissingNames.Count > 0)
            throw new InvalidDataException($"{file}: checkpoint lacks the model's tensors {string.Join(", ", result.MissingNames)}.");
    }
}
