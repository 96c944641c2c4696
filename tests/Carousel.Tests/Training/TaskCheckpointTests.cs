using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Classification;
using Carousel.Training.Generation;

namespace Carousel.Tests.Training;

public class TaskCheckpointTests
{
    [Fact]
    public void ClassifierRoundTripsExactlyAndRefusesOtherKinds()
    {
        using var dir = new TempDirectory();
        var options = new ClassifierTrainingOptions { Cell = CellKind.Gru, Hidden = 6, Embedding = 4, Bidirectional = true, Pooling = SequencePooling.Mean, MaxLength = 5 };
        var symbols = TextSymbols.Build(SymbolLevel.Chars, options.MaxLength, ["hello", "world"]);
        var model = new SequenceClassifier(options.ModelConfig(symbols.Count, 3), new Rng(4));
        var original = new ClassifierCheckpoint(model, symbols, ["a", "b", "c"], options, Epoch: 2);
        original.Save(dir.Path, options.ToOptimizerSettings().Create(model.NamedParameters()));

        var loaded = ClassifierCheckpoint.Load(dir.Path);
        string[] texts = ["hello there", "wold", "zzz"];
        Assert.Equal(original.Predict(texts), loaded.Predict(texts));
        Assert.Equal(["a", "b", "c"], loaded.Labels);
        Assert.Equal(options, loaded.Options);
        Assert.Equal(2, loaded.Epoch);
        Assert.Equal(symbols.ToRecord(), loaded.Symbols.ToRecord());

        var e = Assert.Throws<InvalidDataException>(() => GeneratorCheckpoint.Load(dir.Path));
        Assert.Contains("expected a conditioned-generator/1 checkpoint, found a sequence-classifier/1 checkpoint", e.Message);
    }

    [Fact]
    public void GeneratorRoundTripsExactlyAndRefusesOtherKinds()
    {
        using var dir = new TempDirectory();
        var options = new GeneratorTrainingOptions { Cell = CellKind.Lstm, Hidden = 8, Layers = 2, Embedding = 4 };
        var vocabulary = new CharVocabulary("abc\u0002\u0003".Select(c => (int)c));
        var model = new ConditionedGenerator(options.ModelConfig(vocabulary.Count, 2), new Rng(6));
        var original = new GeneratorCheckpoint(model, vocabulary, ["x", "y"], options, Epoch: 1);
        original.Save(dir.Path, optimizer: null);

        var loaded = GeneratorCheckpoint.Load(dir.Path);
        var sampling = new SamplingOptions(Temperature: 1f);
        for (int seed = 0; seed < 5; seed++)
            Assert.Equal(original.Model.Generate(vocabulary, original.OneHot("y"), sampling, new Rng((ulong)seed)),
                loaded.Model.Generate(loaded.Vocabulary, loaded.OneHot("y"), sampling, new Rng((ulong)seed)));
        Assert.Equal(vocabulary.ToString(), loaded.Vocabulary.ToString());

        var e = Assert.Throws<InvalidDataException>(() => ClassifierCheckpoint.Load(dir.Path));
        Assert.Contains("expected a sequence-classifier/1 checkpoint, found a conditioned-generator/1 checkpoint", e.Message);
    }
}
