using System.Text.Json;
using Carousel.Data;
using Carousel.Models;
using Carousel.Tensors;
using Carousel.Tests.Cli;
using Carousel.Training;
using Carousel.Training.Char;

namespace Carousel.Tests.Training;

public class CharTrainingTests
{
    private static CharTrainingOptions Tiny(BatchingMode batching) => new()
    {
        Hidden = 12, Layers = 2, SeqLength = 8, BatchSize = 3, Steps = 24, EvalEvery = 8, Dropout = 0.2f,
        Batching = batching, Seed = 5, LearningRate = 5e-3f,
    };

    [Theory]
    [InlineData(BatchingMode.Random)]
    [InlineData(BatchingMode.Stream)]
    public void ResumedRunHasTheLossesOfAnUninterruptedOne(BatchingMode batching)
    {
        using var scratch = new TempDirectory();
        var corpus = TextCorpus.FromText(TempDirectory.SampleText(), 0.1, 9);
        var options = Tiny(batching);

        string straightDir = scratch.File("straight");
        Train(corpus, options, straightDir);
        var straight = File.ReadAllLines(Path.Combine(straightDir, "metrics.jsonl")).Select(Losses).ToArray();

        string resumedDir = scratch.File("resumed");
        Train(corpus, options with { Steps = 8 }, resumedDir);
        Assert.Equal(8, CharCheckpoint.Load(resumedDir).Step);
        Train(corpus, options, resumedDir, LastCheckpoint.Load(resumedDir, CharCheckpoint.Kind));
        var resumed = File.ReadAllLines(Path.Combine(resumedDir, "metrics.jsonl")).Select(Losses).ToArray();

        Assert.Equal(straight.Length, resumed.Length);
        for (int i = 0; i < straight.Length; i++) Assert.Equal(straight[i], resumed[i]);
    }

    private static TrainingSummary Train(TextCorpus corpus, CharTrainingOptions options, string directory, LastCheckpoint? resume = null)
    {
        var training = new CharTraining(corpus, options);
        return new Trainer<TextBatch>(training, training.Run(directory, resume)).Run();
    }

    [Fact]
    public void InitialLossIsAboutLogOfVocabularySize()
    {
        var corpus = TextCorpus.FromText(TempDirectory.SampleText(), 0.1, 9);
        int V = corpus.Vocabulary.Count;
        var model = new CharLanguageModel(new CharLanguageModelConfig(V, HiddenSize: 32, Layers: 1), new Rng(3));
        var eval = CharLanguageModelEvaluator.Evaluate(model, corpus.Validation, 50);
        Assert.InRange(eval.NatsPerChar, Math.Log(V) - 0.3, Math.Log(V) + 0.3);
    }

    [Fact]
    public void TrainingLowersValidationLoss()
    {
        using var scratch = new TempDirectory();
        var corpus = TextCorpus.FromText(TempDirectory.SampleText(80), 0.1, 17);
        var options = new CharTrainingOptions { Hidden = 32, Layers = 1, SeqLength = 16, BatchSize = 8, Steps = 150, EvalEvery = 150, LearningRate = 1e-2f, Seed = 1 };
        var training = new CharTraining(corpus, options);
        double before = CharLanguageModelEvaluator.Evaluate(training.Language, corpus.Validation, 16).NatsPerChar;
        var summary = new Trainer<TextBatch>(training, training.Run(scratch.Path)).Run();
        double? after = CharTraining.ValidationLoss(summary.Last);
        Assert.True(after < before - 1.0, $"validation {before:F3} → {after:F3}");
    }

    [Fact]
    public void SamplingIsSeededAndArgmaxEqualsTopOne()
    {
        var vocabulary = CharVocabulary.FromText("abcdefg\n");
        var model = new CharLanguageModel(new CharLanguageModelConfig(vocabulary.Count, HiddenSize: 8, Layers: 1), new Rng(9));
        var sampler = new CharSampler(model, vocabulary);
        string Sample(SamplingOptions o, ulong seed) => string.Concat(sampler.Generate("ab", 40, o, new Rng(seed)));
        Assert.Equal(Sample(new(), 1), Sample(new(), 1));
        Assert.NotEqual(Sample(new(), 1), Sample(new(), 2));
        Assert.Equal(Sample(new(Argmax: true), 1), Sample(new(TopK: 1), 7));
        Assert.Contains("'z' at position 1", Assert.Throws<SettingException>(() => sampler.Generate("az", 5, new(), new Rng(1))).Message); // not in the vocabulary
    }

    private static (double Train, double? Val) Losses(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        return (root.GetProperty("train_loss").GetDouble(),
            root.GetProperty("val_loss").ValueKind == JsonValueKind.Null ? null : root.GetProperty("val_loss").GetDouble());
    }
}
