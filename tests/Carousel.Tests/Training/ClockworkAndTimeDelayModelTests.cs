using System.Text.Json;
using Carousel.Data.Tagging;
using Carousel.IO;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Tagging;

namespace Carousel.Tests.Training;

/// <summary>
/// The clockwork cell and the time-delay layer as a tagger's stack: trained by the one Trainer, saved and loaded by the
/// one checkpoint format (weights, options and predictions equal after the round trip), and a time-delay window that
/// reaches one frame ahead learns a tag that depends on the next character.
/// </summary>
public class ClockworkAndTimeDelayModelTests
{
    // Tag "Y" where the next character is 'a': needs one frame of future context.
    private static List<TaggedExample> NextIsA(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var examples = new List<TaggedExample>();
        for (int n = 0; n < count; n++)
        {
            var text = new char[3 + rng.NextInt(10)];
            for (int i = 0; i < text.Length; i++) text[i] = "abcd"[rng.NextInt(4)];
            var labels = new string[text.Length];
            for (int i = 0; i < text.Length; i++) labels[i] = i + 1 < text.Length && text[i + 1] == 'a' ? "Y" : "n";
            examples.Add(new TaggedExample(new string(text), labels, $"synthetic {n}"));
        }
        return examples;
    }

    public static TheoryData<string, TaggerTrainingOptions> Stacks() => new()
    {
        { "clockwork", new TaggerTrainingOptions { Cell = CellKind.Clockwork, ClockPeriods = [1, 2, 4], Hidden = 6, Layers = 1, Embedding = 4, Bidirectional = true, Steps = 3, Threads = 1 } },
        { "tdnn", new TaggerTrainingOptions { Cell = CellKind.TimeDelay, TimeDelay = new TimeDelayWindow(1, 1, [1, 2]), Hidden = 6, Layers = 2, Embedding = 4, Steps = 3, Threads = 1 } },
    };

    [Theory]
    [MemberData(nameof(Stacks))]
    public void CheckpointRoundTripsWeightsOptionsAndPredictions(string name, TaggerTrainingOptions options)
    {
        using var dir = new TempDirectory();
        var examples = NextIsA(40, 3);
        var vocabulary = TaggingVocabulary.FromExamples(examples);
        var task = new TaggingTask(TaggingTask.JsonLines, "sentence", "labels", TagsFormat.String);
        var training = new TaggerTraining(vocabulary, examples, examples[..10], options, task);
        new Trainer<int[]>(training, training.Run(dir.Path)).Run();

        var loaded = TaggerCheckpoint.Load(Path.Combine(dir.Path, "last.safetensors")); // the weights training ended with
        Assert.Equal(JsonSerializer.Serialize(options), JsonSerializer.Serialize(loaded.Options));
        Assert.Equal(options.TimeDelay, loaded.Options.TimeDelay);
        Assert.Equal(options.ClockPeriods ?? [], loaded.Options.ClockPeriods ?? []);
        Assert.Equal(options.Cell, loaded.Model.Rnn.Options.Cell);
        foreach (var ((pName, p), (qName, q)) in training.Tagger.NamedParameters().Zip(loaded.Model.NamedParameters()))
        {
            Assert.Equal(pName, qName);
            Assert.True(p.Value.Data.AsSpan().SequenceEqual(q.Value.Data), $"{name}: {pName}");
        }
        var sequences = new TaggedSequences(examples, vocabulary, withLabels: false);
        Assert.Equal(TaggerInference.Predict(training.Tagger, sequences, 8), TaggerInference.Predict(loaded.Model, sequences, 8));
    }

    [Fact]
    public void TimeDelayWindowWithOneFrameAheadLearnsWhatOnlyTheNextCharacterTells()
    {
        using var dir = new TempDirectory();
        double Accuracy(int after)
        {
            var train = NextIsA(240, 1);
            var vocabulary = TaggingVocabulary.FromExamples(train);
            var options = new TaggerTrainingOptions
            {
                Cell = CellKind.TimeDelay, TimeDelay = new TimeDelayWindow(1, after), Hidden = 16, Layers = 1, Embedding = 8,
                BatchSize = 16, LearningRate = 2e-2f, Epochs = 6, Seed = 5, Threads = 1,
            };
            var training = new TaggerTraining(vocabulary, train, [], options, new TaggingTask(TaggingTask.JsonLines));
            new Trainer<int[]>(training, training.Run(dir.File($"after{after}"))).Run();
            var metrics = new Carousel.Diagnostics.ClassificationMetrics(vocabulary.Labels);
            TaggerInference.Predict(training.Tagger, new TaggedSequences(NextIsA(100, 2), vocabulary, withLabels: true), 32, metrics);
            return metrics.Accuracy;
        }
        double ahead = Accuracy(1), causal = Accuracy(0);
        Assert.True(ahead > 0.99, $"a window one frame ahead: accuracy {ahead:P2}");
        Assert.True(causal < 0.85, $"a causal window cannot see the next character, yet got {causal:P2}");
    }
}
