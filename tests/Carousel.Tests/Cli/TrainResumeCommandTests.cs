using System.Text;
using System.Text.Json;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;

namespace Carousel.Tests.Cli;

/// <summary>
/// `train ... --resume` of the four task-model commands: a run continues from DIR/last.safetensors and appends to
/// metrics.jsonl; every way to get it wrong is one `error:` line, a non-zero exit and a directory left byte for byte
/// as it was.
/// </summary>
[Collection(CliCollection.Name)]
public class TrainResumeCommandTests
{
    /// <summary>A task command's train arguments on tiny data, its checkpoint kind, and a data set with other symbols or labels.</summary>
    private sealed record TrainCommand(string Kind, Func<string, string[]> Data, string[] Model, string[] OtherData)
    {
        public string[] Args(string dir, int epochs, params string[] more) =>
            [.. Data(dir), "--out", dir, .. Model, "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), .. more];
        public string[] ArgsWithOtherData(string dir, int epochs, params string[] more) =>
            [.. OtherData, "--out", dir, .. Model, "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), .. more];
    }

    private static string Lines(int count, ulong seed, Func<Rng, int, string> line)
    {
        var rng = new Rng(seed);
        var sb = new StringBuilder();
        for (int i = 0; i < count; i++) sb.Append(line(rng, i)).Append('\n');
        return sb.ToString();
    }

    private static string Word(Rng rng, string alphabet, int min, int max) =>
        new(Enumerable.Range(0, min + rng.NextInt(max - min + 1)).Select(_ => alphabet[rng.NextInt(alphabet.Length)]).ToArray());

    private static TrainCommand Command(string name, TempDirectory scratch)
    {
        string[] small = ["--hidden", "6", "--embedding", "4", "--batch-size", "8", "--seed", "2", "--threads", "1"];
        switch (name)
        {
            case "classify":
            {
                string Classified(string labelYes, string letters, ulong seed) => Lines(24, seed, (rng, i) =>
                    JsonSerializer.Serialize(new { text = Word(rng, letters, 3, 8) + (i % 2 == 0 ? "x" : ""), label = i % 2 == 0 ? labelYes : "no" }));
                string train = scratch.Write("c-train.jsonl", Classified("yes", "ab", 1)), dev = scratch.Write("c-dev.jsonl", Classified("yes", "ab", 2));
                string other = scratch.Write("c-other.jsonl", Classified("maybe", "ab", 1));
                return new(ClassifierCheckpoint.Kind, _ => ["classify", "train", "--train", train, "--dev", dev],
                    [.. small, "--layers", "2", "--dropout", "0.2"], ["classify", "train", "--train", other, "--dev", other]);
            }
            case "tag":
            {
                string Tagged(string letters, ulong seed) => Lines(24, seed, (rng, _) =>
                {
                    string text = Word(rng, letters, 2, 8);
                    return JsonSerializer.Serialize(new { text, tags = new string(text.Select(c => c == 'a' ? 'Y' : 'n').ToArray()) });
                });
                string train = scratch.Write("t-train.jsonl", Tagged("abc", 1)), other = scratch.Write("t-other.jsonl", Tagged("abd", 1));
                return new(Carousel.Training.Tagging.TaggerCheckpoint.Kind, _ => ["tag", "train", "--train", train, "--dev-fraction", "0.2"],
                    [.. small, "--layers", "2", "--dropout", "0.2"], ["tag", "train", "--train", other, "--dev-fraction", "0.2"]);
            }
            case "generate":
            {
                string a = scratch.Write("g-a.txt", Lines(15, 1, (rng, i) => Word(rng, "ac", 2, 5) + new string('a', i % 4)));
                string b = scratch.Write("g-b.txt", Lines(15, 2, (rng, i) => Word(rng, "bc", 2, 5) + new string('b', i % 4)));
                string d = scratch.Write("g-d.txt", Lines(15, 3, (rng, i) => Word(rng, "dc", 2, 5) + new string('d', i % 4)));
                return new(GeneratorCheckpoint.Kind, _ => ["generate", "train", "--train-lines", $"A={a}", "--train-lines", $"B={b}", "--dev-fraction", "0.2"],
                    [.. small, "--layers", "2", "--dropout", "0.2"], ["generate", "train", "--train-lines", $"A={a}", "--train-lines", $"B={d}", "--dev-fraction", "0.2"]);
            }
            case "seq2seq":
            {
                string Pairs(string letters, int count, ulong seed) => Lines(count, seed, (rng, _) =>
                {
                    string w = Word(rng, letters, 2, 5);
                    return w + "\t" + string.Join(' ', w.Reverse().Select(c => char.ToUpperInvariant(c).ToString()));
                });
                string train = scratch.Write("s-train.tsv", Pairs("abcd", 30, 1)), dev = scratch.Write("s-dev.tsv", Pairs("abcd", 8, 2));
                string other = scratch.Write("s-other.tsv", Pairs("abce", 30, 1)), otherDev = scratch.Write("s-other-dev.tsv", Pairs("abce", 8, 2));
                return new(Seq2SeqCheckpoint.Kind, _ => ["seq2seq", "train", "--train", train, "--dev", dev],
                    ["--embedding", "4", "--hidden", "6", "--decoder-hidden", "8", "--decoder-layers", "2", "--batch-size", "8", "--seed", "2"],
                    ["seq2seq", "train", "--train", other, "--dev", otherDev]);
            }
            default: throw new ArgumentException(name);
        }
    }

    private static Dictionary<string, byte[]> Snapshot(string dir) =>
        Directory.Exists(dir) ? Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes) : [];

    /// <summary>Runs the CLI, failing the test instead of hanging when a run does not end within <paramref name="seconds"/>.</summary>
    private static (int ExitCode, string Out, string Error) RunWithin(string[] args, int seconds = 120)
    {
        var run = Task.Run(() => CliRunner.Run(args));
        Assert.True(run.Wait(TimeSpan.FromSeconds(seconds)), $"still running after {seconds} s: {string.Join(' ', args)}");
        return run.Result;
    }

    internal static void FailsLeavingDirectoryAsItWas(string dir, string message, string[] args)
    {
        var before = Snapshot(dir);
        var (code, _, error) = RunWithin(args);
        Assert.True(code != 0, string.Join(' ', args));
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        var after = Snapshot(dir);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (name, bytes) in before) Assert.True(bytes.AsSpan().SequenceEqual(after[name]), $"{name} changed");
    }

    /// <summary>Rewrites the metadata of DIR/last.safetensors, its tensors as they were: a hand-made or damaged file.</summary>
    private static void RewriteMetadata(string dir, Action<Dictionary<string, string>> change)
    {
        string path = LastCheckpoint.PathIn(dir);
        var file = Carousel.IO.SafeTensors.Read(path);
        var metadata = new Dictionary<string, string>(file.Metadata);
        change(metadata);
        Carousel.IO.SafeTensors.Write(path, file.Entries.Select(e => e.DType switch
        {
            Carousel.IO.SafeTensorsDType.Float32 => Carousel.IO.SafeTensorsWriteEntry.FromTensor(e.Name, e.ToTensor()),
            Carousel.IO.SafeTensorsDType.Float64 => Carousel.IO.SafeTensorsWriteEntry.FromDoubles(e.Name, e.ToDoubles(), e.Shape),
            Carousel.IO.SafeTensorsDType.Int64 => Carousel.IO.SafeTensorsWriteEntry.FromInt64s(e.Name, e.ToInt64s(), e.Shape),
            var other => throw new InvalidDataException($"{e.Name}: {other} is not written by a trainer."),
        }).ToList(), metadata);
    }

    /// <summary>Rewrites the saved training position's fields (and the file's step counters with its Step, as a careful forger would).</summary>
    private static void RewritePosition(string dir, Action<System.Text.Json.Nodes.JsonObject> change) => RewriteMetadata(dir, metadata =>
    {
        var position = System.Text.Json.Nodes.JsonNode.Parse(metadata["position"])!.AsObject();
        change(position);
        metadata["position"] = position.ToJsonString();
        if (position["Step"] is { } step) metadata["step"] = metadata["optimizer_steps"] = step.ToJsonString();
    });

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }

    [Theory]
    [InlineData("classify")]
    [InlineData("tag")]
    [InlineData("generate")]
    [InlineData("seq2seq")]
    public void ResumeContinuesTheRunAndRefusesEverythingElse(string name)
    {
        using var scratch = new TempDirectory();
        var command = Command(name, scratch);
        string dir = scratch.File("run");

        FailsLeavingDirectoryAsItWas(dir, "Nothing to resume", command.Args(dir, 2, "--resume"));
        Assert.False(Directory.Exists(dir));

        var (code, _, error) = CliRunner.Run(command.Args(dir, 1));
        Assert.True(code == 0, error);
        Assert.True(File.Exists(LastCheckpoint.PathIn(dir)));

        FailsLeavingDirectoryAsItWas(dir, "already holds a checkpoint; continue it with --resume", command.Args(dir, 2));
        FailsLeavingDirectoryAsItWas(dir, "give one of them", command.Args(dir, 2, "--resume", "--overwrite"));
        var widerModel = command.Args(dir, 2, "--resume");
        widerModel[Array.IndexOf(widerModel, "--hidden") + 1] = "7";
        FailsLeavingDirectoryAsItWas(dir, "Cannot resume: the options differ from those of the saved run", widerModel);
        FailsLeavingDirectoryAsItWas(dir, "--hidden 6 there, 7 now", widerModel); // the setting named by its flag
        FailsLeavingDirectoryAsItWas(dir, "differ from those of the saved run", command.ArgsWithOtherData(dir, 2, "--resume"));
        FailsLeavingDirectoryAsItWas(dir, "--decay-from goes with --schedule step", command.Args(dir, 2, "--resume", "--schedule", "cosine", "--decay-from", "2"));
        if (name == "seq2seq")
            FailsLeavingDirectoryAsItWas(dir, "does not go with --init-from", command.Args(dir, 2, "--resume", "--init-from", dir));

        // A last.safetensors of another model kind, and a truncated one.
        string foreign = scratch.File("foreign");
        CopyDirectory(dir, foreign);
        string otherKind = name == "classify" ? GeneratorCheckpoint.Kind : ClassifierCheckpoint.Kind;
        ModelCheckpoint.Save(LastCheckpoint.PathIn(foreign), otherKind, [], null, new Dictionary<string, string>(), 0);
        FailsLeavingDirectoryAsItWas(foreign, $"expected a {command.Kind} checkpoint, found a {otherKind} checkpoint", command.Args(foreign, 2, "--resume"));
        string truncated = scratch.File("truncated");
        CopyDirectory(dir, truncated);
        var bytes = File.ReadAllBytes(LastCheckpoint.PathIn(truncated));
        File.WriteAllBytes(LastCheckpoint.PathIn(truncated), bytes[..(bytes.Length / 2)]);
        FailsLeavingDirectoryAsItWas(truncated, LastCheckpoint.FileName, command.Args(truncated, 2, "--resume"));

        // Continued to two epochs: one more line in metrics.jsonl, the first kept as it was.
        string firstLine = File.ReadAllLines(Path.Combine(dir, MetricsLog.FileName))[0];
        (code, var output, error) = CliRunner.Run(command.Args(dir, 2, "--resume"));
        Assert.True(code == 0, error);
        Assert.Contains("resuming", output);
        var lines = File.ReadAllLines(Path.Combine(dir, MetricsLog.FileName));
        Assert.Equal(2, lines.Length);
        Assert.Equal(firstLine, lines[0]);
        Assert.Equal(2, LastCheckpoint.Load(dir, command.Kind).Position.EpochsCompleted);
        FailsLeavingDirectoryAsItWas(dir, "raise --epochs", command.Args(dir, 1, "--resume"));
    }

    /// <summary>
    /// A run whose last.safetensors holds its options as the code before <see cref="TrainingLoopSettings"/> wrote them (the
    /// same fields and values, in that code's order: <see cref="Training.TrainingOptionsCompatibilityTests"/>) resumes.
    /// </summary>
    [Theory]
    [InlineData("classify", "options", Training.TrainingOptionsCompatibilityTests.ClassifierJson)]
    [InlineData("tag", "options", Training.TrainingOptionsCompatibilityTests.TaggerJson)]
    [InlineData("generate", "options", Training.TrainingOptionsCompatibilityTests.GeneratorJson)]
    [InlineData("seq2seq", "training", Training.TrainingOptionsCompatibilityTests.Seq2SeqJson)]
    public void ResumesARunWhoseOptionsTheOldCodeWrote(string name, string optionsKey, string oldJson)
    {
        using var scratch = new TempDirectory();
        var command = Command(name, scratch);
        string dir = scratch.File("run");
        var (code, _, error) = CliRunner.Run(command.Args(dir, 1));
        Assert.True(code == 0, error);

        RewriteMetadata(dir, metadata =>
        {
            using var saved = JsonDocument.Parse(metadata[optionsKey]);
            using var old = JsonDocument.Parse(oldJson);
            var values = saved.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetRawText());
            var oldOrder = old.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
            Assert.Equal(oldOrder.Order(), values.Keys.Order());
            metadata[optionsKey] = "{" + string.Join(",", oldOrder.Select(n => $"{JsonSerializer.Serialize(n)}:{values[n]}")) + "}";
        });

        (code, var output, error) = CliRunner.Run(command.Args(dir, 2, "--resume"));
        Assert.True(code == 0, error);
        Assert.Contains("resuming", output);
        Assert.Equal(2, LastCheckpoint.Load(dir, command.Kind).Position.EpochsCompleted);
    }

    /// <summary>
    /// A last.safetensors whose position counters disagree with each other (hand-made or damaged) is refused before anything
    /// runs: before, such files made the tagger loop forever, overflowed the epoch number, kept seq2seq from ever evaluating
    /// or let a run past its --epochs through.
    /// </summary>
    [Theory]
    [InlineData("classify")]
    [InlineData("tag")]
    [InlineData("generate")]
    [InlineData("seq2seq")]
    public void APositionWhoseCountersDisagreeIsRefused(string name)
    {
        using var scratch = new TempDirectory();
        var command = Command(name, scratch);
        string dir = scratch.File("run");
        var (code, _, error) = CliRunner.Run(command.Args(dir, 1));
        Assert.True(code == 0, error);
        long stepsPerEpoch = LastCheckpoint.Load(dir, command.Kind).Position.Step;

        var damages = new (string Case, string Message, Action<System.Text.Json.Nodes.JsonObject> Change)[]
        {
            ("past the end of an epoch", "inconsistent", p => { p["BatchesIntoEpoch"] = stepsPerEpoch + 1; p["Step"] = 2 * stepsPerEpoch + 1; }),
            ("a whole epoch into an epoch", "inconsistent", p => { p["BatchesIntoEpoch"] = stepsPerEpoch; p["Step"] = 2 * stepsPerEpoch; }),
            ("steps off the epochs", "inconsistent", p => p["Step"] = stepsPerEpoch + 1),
            ("the last epoch number", "inconsistent", p => p["EpochsCompleted"] = int.MaxValue),
            ("more epochs than asked, few steps", "inconsistent", p => p["EpochsCompleted"] = 5),
            ("an empty fingerprint", "inconsistent (it has no data fingerprint)", p => p["DataFingerprint"] = ""),
            ("no fingerprint", "inconsistent (it has no data fingerprint)", p => p.Remove("DataFingerprint")),
        };
        foreach (var (damage, message, change) in damages)
        {
            string damaged = scratch.File(damage.Replace(' ', '-'));
            CopyDirectory(dir, damaged);
            RewritePosition(damaged, change);
            FailsLeavingDirectoryAsItWas(damaged, $"{LastCheckpoint.FileName}: the training position is {message}", command.Args(damaged, 3, "--resume"));
        }
    }

    /// <summary>The tagger's runs that end inside an epoch (fractional --epochs, --steps) save positions that resume.</summary>
    [Fact]
    public void TaggerRunsEndingInsideAnEpochResume()
    {
        using var scratch = new TempDirectory();
        var command = Command("tag", scratch);
        string dir = scratch.File("run");
        string[] Epochs(string epochs, params string[] more)
        {
            var args = command.Args(dir, 1, more);
            args[Array.IndexOf(args, "--epochs") + 1] = epochs;
            return args;
        }
        var (code, _, error) = CliRunner.Run(Epochs("1.5"));
        Assert.True(code == 0, error);
        var position = LastCheckpoint.Load(dir, command.Kind).Position;
        Assert.Equal(1, position.EpochsCompleted);
        Assert.InRange(position.BatchesIntoEpoch, 1, position.Step - 1);
        (code, _, error) = CliRunner.Run(Epochs("2.5", "--resume"));
        Assert.True(code == 0, error);
        long steps = LastCheckpoint.Load(dir, command.Kind).Position.Step + 1;
        (code, _, error) = CliRunner.Run(command.Args(dir, 1, "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--resume"));
        Assert.True(code == 0, error);
        Assert.Equal(steps, LastCheckpoint.Load(dir, command.Kind).Position.Step);
        // Shorter than the run has gone: the message names the option that set the length.
        FailsLeavingDirectoryAsItWas(dir, "; raise --steps.", command.Args(dir, 1, "--steps", "2", "--resume"));
    }

    /// <summary>Saved options that are not a JSON object are a damaged file (one error line), not a crash.</summary>
    [Theory]
    [InlineData("classify", "options")]
    [InlineData("tag", "options")]
    [InlineData("generate", "options")]
    [InlineData("seq2seq", "training")]
    public void UnreadableSavedOptionsAreRefused(string name, string optionsKey)
    {
        using var scratch = new TempDirectory();
        var command = Command(name, scratch);
        string dir = scratch.File("run");
        var (code, _, error) = CliRunner.Run(command.Args(dir, 1));
        Assert.True(code == 0, error);
        foreach (var (damage, json) in new[] { ("malformed", "{\"Hidden\": 6,"), ("an array", "[1, 2]"), ("a number", "7") })
        {
            string damaged = scratch.File(damage.Replace(' ', '-'));
            CopyDirectory(dir, damaged);
            RewriteMetadata(damaged, metadata => metadata[optionsKey] = json);
            FailsLeavingDirectoryAsItWas(damaged, $"{LastCheckpoint.FileName}: checkpoint entry '{optionsKey}' is unreadable", command.Args(damaged, 2, "--resume"));
        }
    }

    /// <summary>The tagger's saved best confusion matrix must be K×K counts.</summary>
    [Fact]
    public void ATaggerBestRecordWithABadConfusionMatrixIsRefused()
    {
        using var scratch = new TempDirectory();
        var command = Command("tag", scratch);
        string dir = scratch.File("run");
        var (code, _, error) = CliRunner.Run(command.Args(dir, 1));
        Assert.True(code == 0, error);
        foreach (var (damage, confusion) in new[]
                 {
                     ("a null row", "[null, [1, 2]]"), ("a short row", "[[1], [1, 2]]"), ("a row too many", "[[1, 2], [1, 2], [1, 2]]"),
                     ("a negative count", "[[1, -2], [1, 2]]"),
                 })
        {
            string damaged = scratch.File(damage.Replace(' ', '-'));
            CopyDirectory(dir, damaged);
            RewritePosition(damaged, p =>
            {
                // The best record as the tagger's trainer wrote it before the one training loop.
                var best = new System.Text.Json.Nodes.JsonObject { ["Score"] = 0.5, ["Step"] = 1, ["Confusion"] = System.Text.Json.Nodes.JsonNode.Parse(confusion) };
                p.Remove("BestEvaluation");
                p["Best"] = best.ToJsonString();
            });
            FailsLeavingDirectoryAsItWas(damaged, "the best record's confusion matrix is not 2×2 counts", command.Args(damaged, 2, "--resume"));
        }
    }

    /// <summary>A cosine curve is shaped for the run's length: a resume may keep the length, not change it.</summary>
    [Theory]
    [InlineData("classify", "or train a new run of the length wanted.")]
    [InlineData("tag", "or train a new run of the length wanted.")]
    [InlineData("generate", "or train a new run of the length wanted.")]
    [InlineData("seq2seq", "or train a new run of the length wanted.")]
    public void ACosineRunResumesOnlyWithItsLength(string name, string newRun)
    {
        using var scratch = new TempDirectory();
        var command = Command(name, scratch);
        string dir = scratch.File("run");
        var (code, _, error) = CliRunner.Run(command.Args(dir, 1, "--schedule", "cosine"));
        Assert.True(code == 0, error);
        long stepsPerEpoch = LastCheckpoint.Load(dir, command.Kind).Position.Step;

        FailsLeavingDirectoryAsItWas(dir, $"Cannot resume: a cosine schedule is shaped for its total length ({stepsPerEpoch} steps in the saved run in '{dir}', {2 * stepsPerEpoch} now); " +
                                          $"resume with the same --epochs, {newRun}", command.Args(dir, 2, "--resume", "--schedule", "cosine"));
        (code, _, error) = CliRunner.Run(command.Args(dir, 1, "--resume", "--schedule", "cosine"));
        Assert.True(code == 0, error);
        // Other schedules may be lengthened.
        string stepRun = scratch.File("step");
        (code, _, error) = CliRunner.Run(command.Args(stepRun, 1, "--schedule", "step"));
        Assert.True(code == 0, error);
        (code, _, error) = CliRunner.Run(command.Args(stepRun, 2, "--resume", "--schedule", "step"));
        Assert.True(code == 0, error);
        if (name == "tag")
        {
            // The tagger's length is its steps, however given: --steps equal to the epoch's steps is the same length.
            string steps = stepsPerEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture);
            (code, _, error) = CliRunner.Run(command.Args(dir, 1, "--resume", "--schedule", "cosine", "--steps", steps));
            Assert.True(code == 0, error);
            FailsLeavingDirectoryAsItWas(dir, "resume with the same --steps", command.Args(dir, 1, "--resume", "--schedule", "cosine", "--steps", (stepsPerEpoch + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>
    /// --overwrite removes the replaced run's last.safetensors before training: a new run that dies before its first save
    /// must not leave the old position for a later --resume to continue over the new run's files.
    /// </summary>
    [Theory]
    [InlineData("classify")]
    [InlineData("tag")]
    [InlineData("generate")]
    [InlineData("seq2seq")]
    public void OverwriteForgetsTheReplacedRunsPosition(string name)
    {
        using var scratch = new TempDirectory();
        var command = Command(name, scratch);
        string dir = scratch.File("run");
        var (code, _, error) = CliRunner.Run(command.Args(dir, 1));
        Assert.True(code == 0, error);
        Assert.True(File.Exists(LastCheckpoint.PathIn(dir)));

        // A rate this large makes the loss non-finite within the first epoch, which stops the run before it saves anything.
        (code, _, error) = CliRunner.Run(command.Args(dir, 1, "--overwrite", "--lr", "1e38"));
        Assert.True(code != 0);
        Assert.Contains("Training diverged at step", error);
        Assert.False(File.Exists(LastCheckpoint.PathIn(dir)));
        Assert.True(File.Exists(Path.Combine(dir, ModelCheckpoint.FileName))); // the rest stays until the new run replaces it
        FailsLeavingDirectoryAsItWas(dir, "Nothing to resume", command.Args(dir, 2, "--resume"));
    }
}
