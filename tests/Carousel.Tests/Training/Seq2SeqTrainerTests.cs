using Carousel.Data;
using Carousel.Training;
using Carousel.Training.Char;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;

namespace Carousel.Tests.Training;

public class Seq2SeqTrainerTests
{
    private static List<SequencePair> Pairs(params string[] lines) =>
        lines.Select((l, i) => SequencePairs.Parse(l, SourceTokens.Chars, $"line {i + 1}", i + 1)).ToList();

    private static readonly List<SequencePair> Train = Pairs("ab\tB A", "ba\tA B", "abc\tC B A", "cab\tB A C", "ca\tA C");
    private static readonly List<SequencePair> Dev = Pairs("ac\tC A", "ac\tX", "bc\tC B");
    private static readonly Seq2SeqTrainingOptions Tiny = new() { Embedding = 4, EncoderHidden = 5, DecoderHidden = 6, Epochs = 2, BatchSize = 2, Dropout = 0 };

    [Fact]
    public void KeepsTheBestCheckpointAndStartsAgainFromIt()
    {
        using var dir = new TempDirectory();
        var trainer = new Seq2SeqTrainer(Tiny, Train, Dev, dir.Path);
        Assert.Equal(2, trainer.DevWords); // "ac" has two references
        var summary = trainer.Run();
        Assert.Equal(2 * 3, summary.Step);
        Assert.NotNull(summary.BestDev);
        var saved = Seq2SeqCheckpoint.Load(dir.Path);
        Assert.Contains(summary.BestEpoch.ToString(), saved.Metadata["dev"]);

        using var next = new TempDirectory();
        var continued = new Seq2SeqTrainer(Tiny with { Seed = 9 }, Train, Dev, next.Path, saved);
        foreach (var ((name, p), (_, q)) in continued.Model.NamedParameters().Zip(saved.Model.NamedParameters()))
            Assert.True(p.Value.Data.AsSpan().SequenceEqual(q.Value.Data), name);

        var e = Assert.Throws<SettingException>(() => new Seq2SeqTrainer(Tiny with { DecoderHidden = 7 }, Train, Dev, next.Path, saved));
        Assert.Contains("differs", e.Message);
        Assert.Throws<SettingException>(() => new Seq2SeqTrainer(Tiny, Train.Append(Pairs("zz\tZ")[0]).ToList(), Dev, next.Path, saved));
    }

    [Fact]
    public void DevSymbolsTrainingNeverSawAreAnError()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<InvalidDataException>(() => new Seq2SeqTrainer(Tiny, Train, Pairs("aq\tA"), dir.Path));
        Assert.Contains("'q'", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
