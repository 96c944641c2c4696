using System.Globalization;
using System.Text.Json;
using Carousel.IO;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training;

/// <summary>
/// The checkpoint file shared by the task models (classifier, tagger, conditioned generator, sequence to
/// sequence): weights under their PyTorch names, optimizer state under "optimizer.{kind}.{name}", and metadata
/// naming the model kind, the step and the model's own entries (options, vocabularies, labels as JSON).
/// A standard safetensors file, written atomically; <see cref="Load"/> rejects a file of another kind with a
/// clear message before anything is built from it.
/// </summary>
/// <remarks>
/// Tensors under "run." are a training run's carried state (<see cref="Trainable{TBatch}.CarriedState"/>), not weights.
/// </remarks>
public sealed class ModelCheckpoint
{
    /// <summary>The best model's checkpoint in a training directory: weights, optimizer state and metadata.</summary>
    public const string FileName = "checkpoint.safetensors";
    /// <summary>The best model's weights alone in a training directory, for PyTorch's safetensors.torch.load_file.</summary>
    public const string WeightsFileName = "model.safetensors";
    private const string FormatPrefix = "carousel.";
    private const string OptimizerPrefix = "optimizer.";
    private const string RunStatePrefix = "run.";
    // The character model's carried state before the one training loop ("carried.h", "carried.c").
    private const string EarlierRunStatePrefix = "carried.";

    private static bool IsWeight(string name) => !name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)
        && !name.StartsWith(RunStatePrefix, StringComparison.Ordinal) && !name.StartsWith(EarlierRunStatePrefix, StringComparison.Ordinal);
    private static readonly string[] ReservedKeys = ["format", "step", "optimizer_steps"];

    private readonly SafeTensorsFile _file;

    /// <summary>The model kind, e.g. "sequence-classifier/1": the format name without the "carousel." prefix.</summary>
    public string Kind { get; }
    /// <summary>The optimizer step the weights are from (checkpoints from before the one training loop may hold an epoch).</summary>
    public long Step { get; }
    /// <summary>Steps the saved optimizer state has taken (0 when saved without one).</summary>
    public long OptimizerSteps { get; }

    /// <summary>The model's own metadata entries (the reserved ones removed).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Optimizer state by key ("exp_avg.rnn.weight_ih_l0"), for <see cref="Optimizer.LoadState"/>.</summary>
    public IReadOnlyDictionary<string, Tensor> OptimizerState { get; }

    /// <summary>A training run's carried state by name (the "run." prefix removed).</summary>
    public IReadOnlyDictionary<string, Tensor> RunState { get; private init; } = new Dictionary<string, Tensor>();

    /// <summary>Where it was read from.</summary>
    public string Path => _file.SourceName;

    /// <summary>The number of weights (trained values) the checkpoint holds, optimizer and run state left out.</summary>
    public long WeightCount => _file.Entries.Where(e => IsWeight(e.Name)).Sum(e => (long)e.ElementCount);

    private ModelCheckpoint(SafeTensorsFile file, string kind, long step, long optimizerSteps,
        IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, Tensor> optimizerState)
    {
        _file = file; Kind = kind; Step = step; OptimizerSteps = optimizerSteps; Metadata = metadata; OptimizerState = optimizerState;
    }

    /// <summary>The checkpoint file of a training directory, or the path itself when it names a file.</summary>
    public static string Resolve(string path) => Directory.Exists(path) ? System.IO.Path.Combine(path, FileName) : path;

    /// <summary>
    /// Writes the checkpoint atomically: parameters, optimizer state (when given) and metadata.
    /// <paramref name="metadata"/> holds the model's own entries; the keys format, step and optimizer_steps are reserved.
    /// </summary>
    public static void Save(string path, string kind, IEnumerable<(string Name, Parameter Parameter)> parameters,
        Optimizer? optimizer, IReadOnlyDictionary<string, string> metadata, long step, IEnumerable<(string Name, Tensor Value)>? runState = null)
    {
        foreach (var key in ReservedKeys)
            if (metadata.ContainsKey(key)) throw new ArgumentException($"Metadata key '{key}' is reserved by the checkpoint format.", nameof(metadata));
        var entries = new List<SafeTensorsWriteEntry>();
        foreach (var (name, p) in parameters)
        {
            if (name.StartsWith(OptimizerPrefix, StringComparison.Ordinal) || name.StartsWith(RunStatePrefix, StringComparison.Ordinal))
                throw new ArgumentException($"Parameter name '{name}' collides with a reserved prefix.");
            entries.Add(SafeTensorsWriteEntry.FromTensor(name, p.Value));
        }
        if (optimizer is not null)
            foreach (var (key, t) in optimizer.State) entries.Add(SafeTensorsWriteEntry.FromTensor(OptimizerPrefix + key, t));
        foreach (var (name, t) in runState ?? []) entries.Add(SafeTensorsWriteEntry.FromTensor(RunStatePrefix + name, t));
        var all = new Dictionary<string, string>(metadata)
        {
            ["format"] = FormatPrefix + kind,
            ["step"] = step.ToString(CultureInfo.InvariantCulture),
            ["optimizer_steps"] = (optimizer?.StepCount ?? 0).ToString(CultureInfo.InvariantCulture),
        };
        SafeTensors.Write(path, entries, all);
    }

    /// <summary>
    /// A training directory's pair: DIR/checkpoint.safetensors (<see cref="Save"/>: weights, optimizer state, metadata)
    /// and DIR/model.safetensors (<see cref="SaveWeights"/>), each written atomically; creates DIR when needed.
    /// </summary>
    public static void SaveToDirectory(string directory, string kind, IReadOnlyList<(string Name, Parameter Parameter)> parameters,
        Optimizer? optimizer, IReadOnlyDictionary<string, string> metadata, long step)
    {
        Directory.CreateDirectory(directory);
        Save(System.IO.Path.Combine(directory, FileName), kind, parameters, optimizer, metadata, step);
        SaveWeights(System.IO.Path.Combine(directory, WeightsFileName), kind, parameters);
    }

    /// <summary>Saves only the weights, loadable by PyTorch's safetensors.torch.load_file.</summary>
    public static void SaveWeights(string path, string kind, IEnumerable<(string Name, Parameter Parameter)> parameters) =>
        StateDict.Save(path, parameters, new Dictionary<string, string> { ["format"] = "pytorch-state-dict", ["model"] = kind });

    /// <summary>
    /// Reads a checkpoint (a file, or a directory holding <see cref="FileName"/>) of the expected kind. A missing
    /// file, a file that is not safetensors, or a checkpoint of another kind each give a clear exception.
    /// </summary>
    /// <param name="path">A checkpoint file, or a training directory holding <see cref="FileName"/>.</param>
    /// <param name="expectedKind">The model kind wanted, named in the error for any other.</param>
    /// <param name="earlierKinds">Earlier kinds of the same model that are also accepted (<see cref="Kind"/> says which was found).</param>
    public static ModelCheckpoint Load(string path, string expectedKind, params string[] earlierKinds) => Read(path, expectedKind, earlierKinds);

    /// <summary>Reads a checkpoint (a file, or a directory holding <see cref="FileName"/>) of any model kind (to describe it, as a comparison of runs does).</summary>
    public static ModelCheckpoint LoadAnyKind(string path) => Read(path, null, []);

    private static ModelCheckpoint Read(string path, string? expectedKind, string[] earlierKinds)
    {
        string file = Resolve(path);
        if (!File.Exists(file)) throw new FileNotFoundException($"No checkpoint at '{path}'.", file);
        var st = SafeTensors.Read(file);
        st.Metadata.TryGetValue("format", out var format);
        string? kind = format is not null && format.StartsWith(FormatPrefix, StringComparison.Ordinal) ? format[FormatPrefix.Length..] : null;
        if (expectedKind is null && kind is null) throw new InvalidDataException($"{file}: not a Carousel checkpoint ({(format is null ? "no format" : $"format '{format}'")}).");
        if (expectedKind is not null && kind != expectedKind && !earlierKinds.Contains(kind))
        {
            string found = format is null ? "no format" : format.StartsWith(FormatPrefix, StringComparison.Ordinal) ? $"a {format[FormatPrefix.Length..]} checkpoint" : $"format '{format}'";
            throw new InvalidDataException($"{file}: expected a {expectedKind} checkpoint, found {found}.");
        }
        var own = st.Metadata.Where(kv => !ReservedKeys.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value);
        var optimizerState = st.Entries.Where(e => e.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
            .ToDictionary(e => e.Name[OptimizerPrefix.Length..], e => e.ToTensor());
        var runState = st.Entries.Where(e => e.Name.StartsWith(RunStatePrefix, StringComparison.Ordinal) || e.Name.StartsWith(EarlierRunStatePrefix, StringComparison.Ordinal))
            .ToDictionary(e => e.Name[(e.Name.IndexOf('.') + 1)..], e => e.ToTensor());
        return new ModelCheckpoint(st, kind!, ParseCount(st, "step"), ParseCount(st, "optimizer_steps"), own, optimizerState) { RunState = runState };
    }

    /// <summary>
    /// The model kind of a checkpoint (a file, or a directory holding <see cref="FileName"/>) without loading it, to choose
    /// the loader; a missing file or one that is not a Carousel checkpoint gives a clear exception.
    /// </summary>
    public static string ReadKind(string path)
    {
        string file = Resolve(path);
        if (!File.Exists(file)) throw new FileNotFoundException($"No checkpoint at '{path}'.", file);
        var st = SafeTensors.Read(file);
        return st.Metadata.TryGetValue("format", out var format) && format.StartsWith(FormatPrefix, StringComparison.Ordinal)
            ? format[FormatPrefix.Length..]
            : throw new InvalidDataException($"{file}: not a Carousel checkpoint ({(format is null ? "no format" : $"format '{format}'")}).");
    }

    /// <summary>A metadata entry, or a clear error naming the file when it is absent.</summary>
    public string Get(string key) =>
        Metadata.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"{Path}: checkpoint metadata lacks '{key}'.");

    /// <summary>A metadata entry written as JSON (e.g. the options record), or a clear error when it does not parse.</summary>
    public T GetJson<T>(string key, JsonSerializerOptions? options = null)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(Get(key), options) ?? throw new InvalidDataException($"{Path}: checkpoint entry '{key}' is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Path}: checkpoint entry '{key}' is unreadable: {e.Message}");
        }
    }

    /// <summary>
    /// Copies the weights into the model's parameters: every parameter must be present with its shape, and the file
    /// may hold no other weights. All or nothing: on an error the model is unchanged.
    /// </summary>
    public void LoadWeights(IEnumerable<(string Name, Parameter Parameter)> parameters)
    {
        var list = parameters.ToList();
        var names = list.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var missing = list.Where(p => !_file.Contains(p.Name)).Select(p => p.Name).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{Path}: checkpoint lacks the model's tensors {string.Join(", ", missing)}.");
        var unexpected = _file.Names.Where(n => IsWeight(n) && !names.Contains(n)).ToList();
        if (unexpected.Count > 0)
            throw new InvalidDataException($"{Path}: tensors the model does not have: {string.Join(", ", unexpected)}.");
        StateDict.Load(_file, list, strict: false); // checks every shape and dtype before it copies anything
    }

    private static long ParseCount(SafeTensorsFile st, string key) =>
        st.Metadata.TryGetValue(key, out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) && v >= 0
            ? v : throw new InvalidDataException($"{st.SourceName}: checkpoint '{key}' is missing or not a count.");
}
