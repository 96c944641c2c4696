using System.Text.Json;
using System.Text.Json.Serialization;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training;

/// <summary>
/// Where a task-model training run stands between two batches. With the weights and the optimizer state in
/// DIR/last.safetensors it is everything needed to continue exactly: the resumed run draws the same batches and
/// dropout masks, takes the learning rate at the same step and judges "best" against the same record.
/// </summary>
public sealed record TrainingPosition
{
    /// <summary>Epochs finished.</summary>
    public int EpochsCompleted { get; init; }
    /// <summary>Batches of the epoch in progress already trained (0 at an epoch boundary).</summary>
    public int BatchesIntoEpoch { get; init; }
    /// <summary>Optimizer steps taken: the position of the learning-rate schedule.</summary>
    public long Step { get; init; }
    /// <summary>The batch generator before the epoch in progress drew its plan: a resumed run draws the same plan and skips the batches done.</summary>
    public ulong[] EpochStartBatchRng { get; init; } = [];
    /// <summary>The model's dropout generators (<see cref="IDropoutStreams.DropoutRngs"/>), in order.</summary>
    public ulong[][] DropoutRngs { get; init; } = [];
    /// <summary>The trainer's running train-loss accumulators (a sum and a count, or a running mean and 0).</summary>
    public double LossSum { get; init; }
    public long LossCount { get; init; }
    /// <summary>The trainer's own record of its best dev evaluation so far (JSON; null before the first).</summary>
    public string? Best { get; init; }
    /// <summary>A hash of the encoded training and dev data (<see cref="DataFingerprint"/>).</summary>
    public string DataFingerprint { get; init; } = "";
}

/// <summary>How long a resumed run is to be, as its trainer plans it: what <see cref="LastCheckpoint.Continue{TBest}"/> checks the saved run against.</summary>
/// <param name="PlannedSteps">The optimizer step the run ends at.</param>
/// <param name="StepsPerEpoch">Batches in an epoch: the saved counters must agree with it.</param>
/// <param name="Setting">The setting that set the length, for the messages: "Epochs", or "Steps".</param>
/// <param name="PlannedStepsThere">With a schedule shaped by the length (<see cref="Optimizers.LearningRateScheduleSettings.ShapedByLength"/>):
/// the saved run's planned steps, read from its checkpoint; null when the length may change.</param>
/// <param name="NewRun">What a user who wants another length under such a schedule can do instead, e.g. "start a new run from its weights with InitialWeights".</param>
/// <param name="NewRunSettings">The settings <paramref name="NewRun"/> names (see <see cref="SettingException"/>).</param>
public sealed record RunLength(long PlannedSteps, long StepsPerEpoch, string Setting, Func<ModelCheckpoint, long>? PlannedStepsThere, string NewRun,
    IReadOnlyList<string>? NewRunSettings = null);

/// <summary>
/// DIR/last.safetensors: the latest state of a task-model run (a <see cref="ModelCheckpoint"/> of the model's kind, so
/// its weights load like the best checkpoint's) plus its <see cref="TrainingPosition"/> under the metadata key
/// "position". Trainers write it atomically after every epoch and when interrupted; resuming reads it.
/// The best-on-dev checkpoint (DIR/checkpoint.safetensors) is separate and unchanged by this.
/// </summary>
public sealed class LastCheckpoint
{
    public const string FileName = "last.safetensors";
    private const string PositionKey = "position";

    // The running loss of a run that has not reported yet is NaN, and "no best yet" may be −∞.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public ModelCheckpoint File { get; }
    public TrainingPosition Position { get; }
    public string Directory { get; }

    private LastCheckpoint(ModelCheckpoint file, TrainingPosition position, string directory)
    {
        File = file; Position = position; Directory = directory;
    }

    public static string PathIn(string directory) => Path.Combine(directory, FileName);

    /// <summary>Writes DIR/last.safetensors atomically: the model's checkpoint entries plus the position.</summary>
    public static void Save(string directory, string kind, IReadOnlyList<(string Name, Parameter Parameter)> parameters, Optimizer optimizer,
        IReadOnlyDictionary<string, string> metadata, TrainingPosition position)
    {
        System.IO.Directory.CreateDirectory(directory);
        var all = new Dictionary<string, string>(metadata) { [PositionKey] = JsonSerializer.Serialize(position, Json) };
        ModelCheckpoint.Save(PathIn(directory), kind, parameters, optimizer, all, position.Step);
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
        if (position.EpochsCompleted < 0 || position.BatchesIntoEpoch < 0 || position.Step < 0 || position.LossCount < 0
            || !IsRngState(position.EpochStartBatchRng) || position.DropoutRngs is null || !position.DropoutRngs.All(IsRngState)
            || position.Step != file.Step || position.Step != file.OptimizerSteps)
            throw new InvalidDataException($"{path}: the training position is inconsistent.");
        // Without a fingerprint the file cannot say which data it was trained on: that is damage, not other data.
        if (string.IsNullOrEmpty(position.DataFingerprint))
            throw new InvalidDataException($"{path}: the training position is inconsistent (it has no data fingerprint).");
        return new LastCheckpoint(file, position, directory);
    }

    /// <summary>
    /// Refuses to continue a different run: the options saved under <paramref name="optionsKey"/> must equal those of
    /// <paramref name="current"/> except <paramref name="mayChange"/> (e.g. the epochs), the entries named by
    /// <paramref name="dataKeys"/> (vocabularies, labels) must be equal, and so must the data fingerprint.
    /// </summary>
    private void RequireSameRun(IReadOnlyDictionary<string, string> current, string optionsKey, IReadOnlyCollection<string> mayChange,
        IReadOnlyList<string> dataKeys, string dataFingerprint)
    {
        var differences = new List<(string Setting, string Text)>();
        using (var saved = ParseObject(optionsKey))
        using (var now = JsonDocument.Parse(current[optionsKey]))
        {
            foreach (var property in now.RootElement.EnumerateObject())
            {
                if (mayChange.Contains(property.Name)) continue;
                string there = saved.RootElement.TryGetProperty(property.Name, out var s) ? s.GetRawText() : "(none)";
                if (there != property.Value.GetRawText()) differences.Add((property.Name, $"{property.Name} {there} there, {property.Value.GetRawText()} now"));
            }
        }
        if (differences.Count > 0)
            throw new SettingException(differences[0].Setting,
                $"Cannot resume: the options differ from those of the saved run in '{Directory}' ({string.Join("; ", differences.Select(d => d.Text))}); " +
                $"give that run's options (only {string.Join(", ", mayChange)} may change).", [.. differences.Skip(1).Select(d => d.Setting), .. mayChange]);
        foreach (var key in dataKeys)
            if (!File.Metadata.TryGetValue(key, out var there) || there != current[key])
                throw new InvalidDataException($"Cannot resume: the data's {key.Replace('_', ' ')} differ from those of the saved run in '{Directory}'; resume with the data it was trained on.");
        if (Position.DataFingerprint != dataFingerprint)
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
    /// batches take. Anything else (a damaged or hand-made file) would make a trainer loop, overflow or never evaluate.
    /// </summary>
    private void RequireConsistentCounters(long stepsPerEpoch)
    {
        var p = Position;
        if (p.BatchesIntoEpoch >= stepsPerEpoch)
            throw new InvalidDataException($"{File.Path}: the training position is inconsistent ({p.BatchesIntoEpoch} batches into an epoch of {stepsPerEpoch}).");
        if (p.Step != (long)p.EpochsCompleted * stepsPerEpoch + p.BatchesIntoEpoch)
            throw new InvalidDataException($"{File.Path}: the training position is inconsistent (step {p.Step} is not {p.EpochsCompleted} epochs of {stepsPerEpoch} steps and {p.BatchesIntoEpoch} batches).");
    }

    /// <summary>A cosine curve falls to its minimum at the planned last step, so a run continued to another length would not follow one curve.</summary>
    private void RequireSameLengthIfTheScheduleIsShapedByIt(RunLength length)
    {
        if (length.PlannedStepsThere is not { } plannedStepsThere) return;
        long there = plannedStepsThere(File);
        if (there != length.PlannedSteps)
            throw new SettingException(length.Setting,
                $"Cannot resume: a cosine schedule is shaped for its total length ({there} steps in the saved run in '{Directory}', {length.PlannedSteps} now); " +
                $"resume with the same {length.Setting}, or {length.NewRun}.", [.. length.NewRunSettings ?? []]);
    }

    /// <summary>Puts the saved weights, optimizer state and random states into a freshly built trainer's objects.</summary>
    private void Restore(IReadOnlyList<(string Name, Parameter Parameter)> parameters, Optimizer optimizer, IDropoutStreams model, TrainingCursor cursor)
    {
        if (Position.DropoutRngs.Length != model.DropoutRngs.Count)
            throw new InvalidDataException($"{File.Path}: {Position.DropoutRngs.Length} dropout generator states for a model with {model.DropoutRngs.Count}.");
        File.LoadWeights(parameters);
        optimizer.LoadState(File.OptimizerState, File.OptimizerSteps);
        cursor.Restore(Position, model);
    }

    /// <summary>
    /// The resume set-up of every task trainer, in one place: refuses a different run (<see cref="RequireSameRun"/>), a
    /// position whose counters disagree with each other and with <see cref="RunLength.StepsPerEpoch"/>, and a changed length
    /// under a schedule shaped by it; puts the saved weights, optimizer state and random states into the freshly built
    /// trainer's objects, refuses a run already past <see cref="RunLength.PlannedSteps"/>, keeps the lines of
    /// <paramref name="metrics"/> up to where the run stands (counted in epochs when its lines are keyed by
    /// <paramref name="metricsKey"/> "epoch", else in steps) and returns the trainer's best record (null before the first evaluation).
    /// </summary>
    public TBest? Continue<TBest>(IReadOnlyDictionary<string, string> current, string optionsKey, IReadOnlyCollection<string> mayChange,
        IReadOnlyList<string> dataKeys, string dataFingerprint, IReadOnlyList<(string Name, Parameter Parameter)> parameters, Optimizer optimizer,
        IDropoutStreams model, TrainingCursor cursor, RunLength length, MetricsLog metrics, string metricsKey = "step") where TBest : class
    {
        RequireSameRun(current, optionsKey, mayChange, dataKeys, dataFingerprint);
        RequireConsistentCounters(length.StepsPerEpoch);
        RequireSameLengthIfTheScheduleIsShapedByIt(length);
        Restore(parameters, optimizer, model, cursor);
        cursor.RequireNotPast(length.PlannedSteps, length.Setting);
        var best = Best<TBest>();
        metrics.KeepLinesUpTo(metricsKey == "epoch" ? cursor.EpochsCompleted : cursor.Step, metricsKey);
        return best;
    }

    /// <summary>The trainer's best record, or null before the first evaluation.</summary>
    public T? Best<T>() where T : class
    {
        if (Position.Best is null) return null;
        try { return JsonSerializer.Deserialize<T>(Position.Best, Json); }
        catch (JsonException e) { throw new InvalidDataException($"{File.Path}: the best record is unreadable: {e.Message}"); }
    }

    /// <summary>The best record as the position stores it.</summary>
    public static string SerializeBest<T>(T best) => JsonSerializer.Serialize(best, Json);
}
