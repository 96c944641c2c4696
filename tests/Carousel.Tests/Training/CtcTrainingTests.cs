using Carousel.Data;
using Carousel.IO;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Ctc;

namespace Carousel.Tests.Training;

public class CtcTrainingTests
{
    /// <summary>
    /// Label sequences over {a, b} of 1–4 labels, each label two frames of its own one-hot feature, a silent frame
    /// ([1, 0, 0]) between and around; a little noise on every value. Repeats ("aa") need the silence to be read.
    /// </summary>
    public static List<FrameSequence> Spoken(int count, ulong seed)
    {
        var rng = new Rng(seed);
        var sequences = new List<FrameSequence>();
        for (int n = 0; n < count; n++)
        {
            var labels = new string[1 + rng.NextInt(4)];
            var frames = new List<float>();
            void Frame(int hot) { for (int f = 0; f < 3; f++) frames.Add((f == hot ? 1f : 0f) + 0.1f * (float)(rng.NextDouble() - 0.5)); }
            Frame(0);
            for (int i = 0; i < labels.Length; i++)
            {
                int label = rng.NextInt(2);
                labels[i] = label == 0 ? "a" : "b";
                Frame(1 + label); Frame(1 + label); Frame(0);
            }
            sequences.Add(new FrameSequence([.. frames], 3, null, labels, $"spoken:{n + 1}"));
        }
        return sequences;
    }

    [Fact]
    public void ABidirectionalLstmLearnsToReadLabelSequencesIncludingRepeats()
    {
        var options = new CtcTrainingOptions { Hidden = 16, Layers = 1, Bidirectional = true, Epochs = 30, BatchSize = 8, LearningRate = 1e-2f, Seed = 3 };
        var training = new CtcTraining(Spoken(48, 1), Spoken(24, 2), options);
        var summary = new Trainer<int[]>(training, training.Run(directory: null)).Run();
        var best = summary.Best!;
        double labelErrorRate = best.Metrics["dev"]!["label_error_rate"]!.GetValue<double>();
        Assert.True(labelErrorRate < 0.05, $"dev LER {labelErrorRate:P1} after {summary.Step} steps");
        var dev = new CtcSequences(Spoken(24, 2), FeatureNormalization.Fit(Spoken(48, 1)), CtcLabels.FromSequences(Spoken(48, 1)), withLabels: true);
        var greedy = CtcInference.Score(CtcInference.Decode(training.Recognizer, dev, 8, beam: 1), dev.Targets!);
        var beam = CtcInference.Score(CtcInference.Decode(training.Recognizer, dev, 8, beam: 4), dev.Targets!);
        Assert.True(beam.Edits <= greedy.Edits + 1, $"beam {beam.Edits} edits, greedy {greedy.Edits}");
    }

    [Fact]
    public void LabelsThatNeedMoreStepsThanTheFramesHaveAreRefusedNamingTheSequence()
    {
        var train = Spoken(4, 1);
        var normalization = FeatureNormalization.Fit(train);
        var labels = CtcLabels.FromSequences(train);
        // "aab" needs 4 steps (a, blank, a, b); 3 frames are too few, 4 are enough.
        var tooShort = new FrameSequence(new float[3 * 3], 3, null, ["a", "a", "b"], "short.jsonl:7");
        var e = Assert.Throws<InvalidDataException>(() => new CtcSequences([tooShort], normalization, labels, withLabels: true));
        Assert.Equal("short.jsonl:7: 3 labels need at least 4 steps (one per label and a blank between repeats), the sequence has 3.", e.Message);
        var enough = tooShort with { Frames = new float[4 * 3] };
        Assert.Equal(4, new CtcSequences([enough], normalization, labels, withLabels: true).Lengths[0]);
        // Stacked by 2, 4 frames are 2 steps: too few again.
        Assert.Throws<InvalidDataException>(() => new CtcSequences([enough], normalization, labels, withLabels: true, stack: 2));
        var unseen = tooShort with { Tokens = ["c"] };
        Assert.Contains("the label 'c' is not one the model knows", Assert.Throws<InvalidDataException>(() => new CtcSequences([unseen], normalization, labels, withLabels: true)).Message);
    }

    [Fact]
    public void StackingPutsConsecutiveFramesSideBySideAndPadsTheLastStep()
    {
        var train = new List<FrameSequence> { new([0, 0, 2, 2], 2, null, ["a"], "t") }; // mean 1, std 1 per feature
        var normalization = FeatureNormalization.Fit(train);
        var frames = new FrameSequence([1, 2, 3, 4, 5, 6], 2, null, ["a"], "x"); // 3 frames of 2
        var stacked = new CtcSequences([frames], normalization, CtcLabels.FromSequences(train), withLabels: true, stack: 2);
        Assert.Equal(4, stacked.Width);
        Assert.Equal(2, stacked.Lengths[0]);
        Assert.Equal([0f, 1, 2, 3, 4, 5, 0, 0], stacked.Frames[0]);
        var (x, lengths, _) = stacked.Batch([0, 0]);
        Assert.Equal([2, 2, 4], x.Shape);
        Assert.Equal([2, 2], lengths);
    }

    [Fact]
    public void ACheckpointReadsBackTheSameModelLabelsAndNormalisation()
    {
        using var scratch = new TempDirectory();
        var options = new CtcTrainingOptions { Hidden = 6, Layers = 1, Epochs = 1, BatchSize = 4, Stack = 2 };
        var training = new CtcTraining(Spoken(8, 1), Spoken(4, 2), options);
        new Trainer<int[]>(training, training.Run(scratch.Path)).Run();
        var loaded = CtcCheckpoint.Load(scratch.Path);
        Assert.Equal(["a", "b"], loaded.Labels.Labels);
        Assert.Equal(2, loaded.Options.Stack);
        Assert.Equal(FeatureNormalization.Fit(Spoken(8, 1)).Mean, loaded.Normalization.Mean);
        Assert.Equal(training.Recognizer.Output.Weight.Value.Data, loaded.Model.Output.Weight.Value.Data);
        Assert.Contains("found a ctc-recognizer/1 checkpoint", Assert.Throws<InvalidDataException>(() => Carousel.Training.Tagging.TaggerCheckpoint.Load(scratch.Path)).Message);
    }
}
