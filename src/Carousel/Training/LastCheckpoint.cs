using System.Text.Json;
using System.Text.Json.Serialization;
using Carousel.Tensors;
using Carousel.Optimizers;

namespace Carousel.Training;

/// <summary>
/// DIR/last.safetensors: where a training run stands — a <see cref="ModelCheckpoint"/> of the model's kind (weights,
/// optimizer state, the model's metadata, the run's carried state) plus its <see cref="TrainingPosition"/> under the
/// metadata key "position". The loop writes it atomically after every epoch and evaluation, at the end and when
/// cancelled; a resumed run reads it. The best model (DIR/checkpoint.safetensors) is separate.
/// </summary>
public sealed class LastCheckpoint
{
    /// <summary>The file's name in a run's directory.</summary>
    public const string FileName = "last.safetensors";
    private const string PositionKey = "position";

    // A running loss with nothing summed is NaN, and scores may be ±∞.
    internal static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>The checkpoint file itself (weights, optimizer state, metadata).</summary>
    public ModelCheckpoint File { get; }
    /// <summary>Where the run stands.</summary>
    public TrainingPosition Position { get; }
    /// <summary>The run's directory.</summary>
    public string Directory { get; }

    /// <summary>A run read from elsewhere (an earlier checkpoint format converted), to continue like one read by <see cref="Load"/>.</summary>
    public LastCheckpoint(ModelCheckpoint file, TrainingPosition position, string directory)
    {
        File = file; Position = position; Directory = directory;
    }

    /// <summary>DIR/last.safetensors.</summary>
    public static string PathIn(string directory) => Path.Combine(directory, FileName);

    /// <summary>Writes DIR/last.safetensors atomically: the model's checkpoint entries, its carried state and the position.</summary>
    public static void Save(string directory, string kind, IReadOnlyList<(string Name, Parameter Parameter)> parameters, Optimizer optimizer,
        IReadOnlyDictionary<string, string> metadata, TrainingPosition position, IEnumerable<(string Name, Tensor Value)>? runState = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        var all = new Dictionary<string, string>(metadata) { [PositionKey] = JsonSerializer.Serialize(position, Json) };
        ModelCheckpoint.Save(PathIn(directory), kind, parameters, optimizer, all, position.Step, runState);
    }

    /// <summary>Reads DIR/last.safetensors of the expected kind; a missing, foreign, truncated or inconsistent file is a clear error.</summary>
    public static LastCheckpoint Load(string directory, string kind)
    {
        string path = PathIn(directory);
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException($"Nothing to resume: '{directory}' has no {FileName} (it is written after every epoch and when training is interrupted).", path);
        var file = ModelCheckpoint.Load(path, kind);
        var position = file.GetJson<TrainingPosition>(PositionKey, Json);
        bool IsRngState(ulong[]? s) => s is { Length: 4 } && s.Any(w => w != 0);
        if (position.EpochsCompleted < 0 || position.BatchesIntoEpoch < 0 || position.Step < 0 || position.LossCount < 0 || position.StreamPosition < 0
            || !(position.ElapsedSeconds >= 0) || !(position.BatchRng is { Length: 0 } || IsRngState(position.BatchRng))
            || position.DropoutRngs is null || !position.DropoutRngs.All(IsRngState)
            || position.Step != file.Step || position.Step != file.OptimizerSteps)
            throw new InvalidDataException($"{path}: the training position is inconsistent.");
        // Without a fingerprint the file cannot say which data it was trained on: that is damage, not other data.
        if (string.IsNullOrEmpty(position.DataFingerprint))
            throw new InvalidDataException($"{path}: the training position is inconsistent (it has no data fingerprint).");
        return new LastCheckpoint(file, position, directory);
    }

    /// <summary>
    /// Refuses to continue a different run: the saved options must equal those of <paramref name="current"/> but for
    /// <see cref="RunIdentity.MayChange"/>, the <see cref="RunIdentity.DataKeys"/> entries must be equal, and so must the data fingerprint.
    /// </summary>
    internal void RequireSameRun(IReadOnlyDictionary<string, string> current, RunIdentity identity)
    {
        var differences = new List<(string Setting, string Text)>();
        using (var saved = ParseObject(identity.OptionsKey))
        using (var now = JsonDocument.Parse(current[identity.OptionsKey]))
        {
            foreach (var property in now.RootElement.EnumerateObject())
            {
                if (identity.MayChange.Contains(property.Name)) continue;
                string there = saved.RootElement.TryGetProperty(property.Name, out var s) ? s.GetRawText() : "(none)";
                if (there != property.Value.GetRawText()) differences.Add((property.Name, $"{property.Name} {there} there, {property.Value.GetRawText()} now"));
            }
        }
        if (differences.Count > 0)
            throw new SettingException(differences[0].Setting,
                $"Cannot resume: the options differ from those of the saved run in '{Directory}' ({string.Join("; ", differences.Select(d => d.Text))}); " +
                $"give that run's options (only {string.Join(", ", identity.MayChange)} may change).", [.. differences.Skip(1).Select(d => d.Setting), .. identity.MayChange]);
        foreach (var key in identity.DataKeys)
            if (!File.Metadata.TryGetValue(key, out var there) || there != current[key])
                throw new InvalidDataException($"Cannot resume: the data's {key.Replace('_', ' ')} differ from those of the saved run in '{Directory}'; resume with the data it was trained on.");
        if (Position.DataFingerprint != identity.DataFingerprint)
            throw new InvalidDataException($"Cannot resume: the training or dev data differ from those of the saved run in '{Directory}'; resume with the data it was trained on.");
    }

    /// <summary>A saved JSON object entry (the options); anything else is a damaged file, said as such.</summary>
    private JsonDocument ParseObject(string key)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(File.Get(key)); }
        catch (JsonException e) { throw new InvalidDataException($"{File.Path}: checkpoint entry '{key}' is unreadable: {e.Message}"); }
        var kind = document.RootElement.ValueKind;
        if (kind == JsonValueKind.Object) return document;
        document.Dispose();
        throw new InvalidDataException($"{File.Path}: checkpoint entry '{key}' is unreadable: a JSON object was expected, found {kind}.");
    }

    /// <summary>
    /// The counters must describe one point of the run: a batch inside an epoch, and the optimizer steps those epochs and
    /// batches take. Anything else (a damaged or hand-made file) would make a run loop, overflow or never evaluate.
    /// </summary>
    internal void RequireConsistentCounters(long stepsPerEpoch)
    {
        var p = Position;
        if (p.BatchesIntoEpoch >= stepsPerEpoch)
            throw new InvalidDataException($"{File.Path}: the training position is inconsistent ({p.BatchesIntoEpoch} batches into an epoch of {stepsPerEpoch}).");
        if (p.Step != (long)p.EpochsCompleted * stepsPerEpoch + p.BatchesIntoEpoch)
            throw new InvalidDataException($"{File.Path}: the training position is inconsistent (step {p.Step} is not {p.EpochsCompleted} epochs of {stepsPerEpoch} steps and {p.BatchesIntoEpoch} batches).");
    }

    /// <summary>A cosine curve falls to its minimum at the planned last step, so a run continued to another length would not follow one curve.</summary>
    internal void RequireSameLength(long plannedStepsThere, long plannedSteps, string lengthSetting)
    {
        if (plannedStepsThere != plannedSteps)
            throw new SettingException(lengthSetting,
                $"Cannot resume: a cosine schedule is shaped for its total length ({plannedStepsThere} steps in the saved run in '{Directory}', {plannedSteps} now); " +
                $"resume with the same {lengthSetting}, or train a new run of the length wanted.");
    }

    /// <summary>A resumed run may go on, or stop where it is, but not end before the point it has reached.</summary>
    internal void RequireNotPast(long plannedSteps, string lengthSetting)
    {
        var p = Position;
        if (plannedSteps < p.Step)
            throw new SettingException(lengthSetting,
                $"Cannot resume: the saved run has already taken {p.Step} steps ({p.EpochsCompleted} epochs and {p.BatchesIntoEpoch} batches), more than the {plannedSteps} asked for; raise {lengthSetting}.");
    }
}
