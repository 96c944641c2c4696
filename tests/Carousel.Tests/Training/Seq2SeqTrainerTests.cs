using Carousel.Data;
using Carousel.Training;
using Carousel.Training.EncoderDecoder;

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
        var training = new Seq2SeqTraining(Tiny, Train, Dev);
        Assert.Equal(2, training.DevWords); // "ac" has two references
        var summary = new Trainer<int[]>(training, training.Run(dir.Path)).Run();
        Assert.Equal(2 * 3, summary.Step);
        Assert.NotNull(Seq2SeqTraining.Scores(summary.Best));
        var saved = Seq2SeqCheckpoint.Load(dir.Path);
        Assert.Contains($"\"Step\":{summary.Best!.Step}", saved.Metadata["evaluation"]);

        var continued = new Seq2SeqTraining(Tiny with { Seed = 9 }, Train, Dev, saved);
        foreach (var ((name, p), (_, q)) in continued.Seq2Seq.NamedParameters().Zip(saved.Model.NamedParameters()))
            Assert.True(p.Value.Data.AsSpan().SequenceEqual(q.Value.Data), name);

        var e = Assert.Throws<SettingException>(() => new Seq2SeqTraining(Tiny with { DecoderHidden = 7 }, Train, Dev, saved));
        Assert.Contains("differs", e.Message);
        Assert.Throws<SettingException>(() => new Seq2SeqTraining(Tiny, Train.Append(Pairs("zz\tZ")[0]).ToList(), Dev, saved));
    }

    [Fact]
    public void DevSymbolsTrainingNeverSawAreAnError()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<InvalidDataException>(() => new Seq2SeqTraining(Tiny, Train, Pairs("aq\tA")));
        Assert.Contains("'q'", e.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
