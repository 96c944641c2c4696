using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Carousel.Data;
using Carousel.Data.Tagging;
using Carousel.IO;
using Carousel.Layers.Recurrent;
using Carousel.Optimizers;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;
using Carousel.Training.Tagging;

namespace Carousel.Tests.Training;

/// <summary>
/// Every task trainer, stopped and continued from DIR/last.safetensors, ends bit for bit where an uninterrupted run
/// ends, with the same dev metrics after every epoch: stopped at an epoch boundary (a run that ended, continued with
/// more epochs) and interrupted inside an epoch (Ctrl-C). Dropout is on and the learning rate changes between epochs,
/// so the random states and the schedule's position must both be restored.
/// </summary>
public class TaskTrainerResumeTests
{
    private const int Epochs = 3;
    private const int BatchSize = 8;

    /// <summary>One training run into <paramref name="directory"/>; <paramref name="stop"/> is cancelled by the caller's progress counting.</summary>
    private delegate void Train(string directory, int epochs, LastCheckpoint? resume, Action onBatch, CancellationToken cancel);

    private static void AssertResumesExactly(string kind, int stepsPerEpoch, Train train)
    {
        using var scratch = new TempDirectory();
        string straight = scratch.File("straight"), boundary = scratch.File("boundary"), inside = scratch.File("inside");
        train(straight, Epochs, null, () => { }, default);

        train(boundary, 1, null, () => { }, default);
        Assert.Equal(1, LastCheckpoint.Load(boundary, kind).Position.EpochsCompleted);
        train(boundary, Epochs, LastCheckpoint.Load(boundary, kind), () => { }, default);

        // Ctrl-C after the second batch of the second epoch: the position is saved mid-epoch.
        using (var stop = new CancellationTokenSource())
        {
            int batches = 0;
            train(inside, Epochs, null, () => { if (++batches == stepsPerEpoch + 2) stop.Cancel(); }, stop.Token);
        }
        var interrupted = LastCheckpoint.Load(inside, kind);
        Assert.Equal((1, 2, stepsPerEpoch + 2L), (interrupted.Position.EpochsCompleted, interrupted.Position.BatchesIntoEpoch, interrupted.Position.Step));
        train(inside, Epochs, interrupted, () => { }, default);

        foreach (var resumed in new[] { boundary, inside })
        {
            Assert.Equal(DevMetrics(straight), DevMetrics(resumed));
            AssertSameTensors(LastCheckpoint.PathIn(straight), LastCheckpoint.PathIn(resumed));   // weights and optimizer state
            AssertSameTensors(Path.Combine(straight, ModelCheckpoint.FileName), Path.Combine(resumed, ModelCheckpoint.FileName)); // the best model
        }
        Assert.Equal(Epochs, LastCheckpoint.Load(inside, kind).Position.EpochsCompleted);
    }

    /// <summary>metrics.jsonl without the timings, which differ from run to run.</summary>
    private static string[] DevMetrics(string directory) => File.ReadAllLines(Path.Combine(directory, MetricsLog.FileName)).Select(line =>
    {
        var record = JsonNode.Parse(line)!.AsObject();
        foreach (var key in record.Select(p => p.Key).Where(k => k.StartsWith("elapsed") || k.EndsWith("_per_s")).ToList()) record.Remove(key);
        return record.ToJsonString();
    }).ToArray();

    private static void AssertSameTensors(string expectedPath, string actualPath)
    {
        var expected = SafeTensors.Read(expectedPath);
        var actual = SafeTensors.Read(actualPath);
        Assert.Equal(expected.Names.Order(), actual.Names.Order());
        foreach (var entry in expected.Entries)
            Assert.True(entry.RawBytes.Span.SequenceEqual(actual[entry.Name].RawBytes.Span), $"{entry.Name} differs in {actualPath}");
    }

    /// <summary>One run of the loop: <paramref name="onBatch"/> after every step.</summary>
    private static TrainingSummary Run(Trainable<int[]> training, TrainingRun run, Action<TrainingProgress> onBatch, CancellationToken cancel) =>
        new Trainer<int[]>(training, run).Run(new SynchronousProgress<TrainingProgress>(onBatch), cancel);

    private static readonly LearningRateScheduleSettings HalvedFromEpochTwo = new("step", DecayRate: 0.5f, DecayFrom: 2);

    private static string RandomText(Rng rng, string alphabet, int minLength, int maxLength) =>
        new(Enumerable.Range(0, minLength + rng.NextInt(maxLength - minLength + 1)).Select(_ => alphabet[rng.NextInt(alphabet.Length)]).ToArray());

    private static List<LabelledText> LabelledTexts(int count, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            var text = RandomText(rng, "ab", 3, 9).ToCharArray();
            if (i % 2 == 0) text[rng.NextInt(text.Length)] = 'x';
            return new LabelledText(new string(text), i % 2 == 0 ? "has-x" : "no-x");
        }).ToList();
    }

    [Fact]
    public void TheClassifierResumesExactly()
    {
        var train = LabelledTexts(40, 1);
        var dev = LabelledTexts(12, 2);
        var options = new ClassifierTrainingOptions
        {
            Cell = CellKind.Lstm, Hidden = 6, Layers = 2, Embedding = 4, Dropout = 0.3f, BatchSize = BatchSize, LearningRate = 0.02f,
            Seed = 3, Threads = 1, ScheduleSettings = HalvedFromEpochTwo,
        };
        AssertResumesExactly(ClassifierCheckpoint.Kind, 40 / BatchSize, (dir, epochs, resume, onBatch, cancel) =>
        {
            var training = new ClassifierTraining(options with { Epochs = epochs }, train, dev);
            Run(training, training.Run(dir, resume), _ => onBatch(), cancel);
        });
    }

    private static List<TaggedExample> TaggedExamples(int count, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            string text = RandomText(rng, "abc", 2, 10);
            var labels = text.Select((c, i) => i + 1 < text.Length && text[i + 1] == 'a' ? "Y" : "n").ToArray();
            return new TaggedExample(text, labels, "test");
        }).ToList();
    }

    [Fact]
    public void TheTaggerResumesExactly()
    {
        var train = TaggedExamples(40, 1);
        var dev = TaggedExamples(10, 2);
        var vocabulary = TaggingVocabulary.FromExamples(train, ["Y", "n"]);
        var options = new TaggerTrainingOptions
        {
            Hidden = 6, Layers = 2, Embedding = 4, Dropout = 0.3f, BatchSize = BatchSize, LearningRate = 0.02f, Seed = 3, Threads = 1,
            ScheduleSettings = HalvedFromEpochTwo,
        };
        var task = new TaggingTask(TaggingTask.JsonLines);
        AssertResumesExactly(TaggerCheckpoint.Kind, 40 / BatchSize, (dir, epochs, resume, onBatch, cancel) =>
        {
            var training = new TaggerTraining(vocabulary, train, dev, options with { Epochs = epochs }, task);
            Run(training, training.Run(dir, resume), _ => onBatch(), cancel);
        });
    }

    [Fact]
    public void TheConditionedGeneratorResumesExactly()
    {
        var rng = new Rng(5);
        var all = Enumerable.Range(0, 50).Select(i => new ConditionedText(i % 2 == 0 ? [1f, 0f] : [0f, 1f],
            RandomText(rng, i % 2 == 0 ? "aac" : "bbc", 2, 6) + i)).ToList(); // distinct texts
        var train = all[..40];
        var dev = all[40..].Select(e => e with { Text = new string(e.Text.Where(char.IsLetter).ToArray()) }).ToList();
        var options = new GeneratorTrainingOptions
        {
            Cell = CellKind.Gru, Hidden = 6, Layers = 2, Embedding = 4, Dropout = 0.3f, BatchSize = BatchSize, LearningRate = 0.02f,
            Seed = 3, Threads = 1, ScheduleSettings = new LearningRateScheduleSettings(WarmupSteps: 7), // warm-up across the first epochs
        };
        AssertResumesExactly(GeneratorCheckpoint.Kind, 40 / BatchSize, (dir, epochs, resume, onBatch, cancel) =>
        {
            var training = new GeneratorTraining(options with { Epochs = epochs }, train, dev, ["A", "B"]);
            Run(training, training.Run(dir, resume), _ => onBatch(), cancel);
        });
    }

    /// <summary>A Ctrl-C that comes after the last batch (during the last evaluation or save) does not make a finished run "interrupted".</summary>
    [Fact]
    public void TheConditionedGeneratorReportsARunFinishedDespiteALateCancellation()
    {
        var rng = new Rng(5);
        var all = Enumerable.Range(0, 30).Select(i => new ConditionedText(i % 2 == 0 ? [1f, 0f] : [0f, 1f], RandomText(rng, "abc", 2, 6) + i)).ToList();
        var options = new GeneratorTrainingOptions { Hidden = 6, Embedding = 4, BatchSize = BatchSize, Seed = 3, Threads = 1, Epochs = 2 };
        using var scratch = new TempDirectory();
        using var stop = new CancellationTokenSource();
        var training = new GeneratorTraining(options, all[..24], all[24..], ["A", "B"]);
        var run = training.Run(scratch.Path);
        var summary = Run(training, run, p => { if (p.Step == run.PlannedSteps) stop.Cancel(); }, stop.Token);
        Assert.True(stop.IsCancellationRequested);
        Assert.False(summary.Interrupted);
        Assert.Equal((options.Epochs, options.Epochs), (summary.Epochs, LastCheckpoint.Load(scratch.Path, GeneratorCheckpoint.Kind).Position.EpochsCompleted));
        Assert.NotNull(summary.Best);

        // Cancelled inside the last epoch, it is interrupted.
        using var scratch2 = new TempDirectory();
        using var early = new CancellationTokenSource();
        training = new GeneratorTraining(options, all[..24], all[24..], ["A", "B"]);
        run = training.Run(scratch2.Path);
        long lastEpochStart = run.PlannedSteps / options.Epochs * (options.Epochs - 1);
        summary = Run(training, run, p => { if (p.Step == lastEpochStart + 1) early.Cancel(); }, early.Token);
        Assert.True(summary.Interrupted);
        Assert.Equal(1, summary.Epochs);
    }

    private static List<SequencePair> Pairs(int count, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count).Select(i =>
        {
            string word = RandomText(rng, "abcd", 2, 5);
            return new SequencePair(word.Select(c => c.ToString()).ToArray(), word.Reverse().Select(c => char.ToUpperInvariant(c).ToString()).ToArray(), i + 1);
        }).ToList();
    }

    [Fact]
    public void TheSequenceToSequenceTrainerResumesExactly()
    {
        var train = Pairs(40, 1);
        var dev = Pairs(10, 2);
        var options = new Seq2SeqTrainingOptions
        {
            Embedding = 4, EncoderHidden = 6, DecoderHidden = 8, DecoderLayers = 2, Dropout = 0.3f, BatchSize = BatchSize, LearningRate = 0.01f,
            Seed = 3, Threads = 1, ScheduleSettings = HalvedFromEpochTwo with { DecayRate = 0.7f },
        };
        AssertResumesExactly(Seq2SeqCheckpoint.Kind, 40 / BatchSize, (dir, epochs, resume, onBatch, cancel) =>
        {
            var training = new Seq2SeqTraining(options with { Epochs = epochs }, train, dev);
            Run(training, training.Run(dir, resume), _ => onBatch(), cancel);
        });
    }
}
