using System.Numerics.Tensors;
using Xunit;
using Carousel.Data.Tasks;
using Carousel.Experiments.Compression;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Tests.Experiments;

public class HistoryCompressorTests
{
    private const int V = PredictableMiddleSequences.SymbolCount;

    private static HistoryCompressor RandomCompressor(int seed, int timeScale)
    {
        var rng = new Rng((ulong)seed);
        var automatizer = new SequenceTagger(new RecurrentOptions(CellKind.RnnTanh, V, 6, 1), V, rng);
        var chunker = new SequenceTagger(new RecurrentOptions(CellKind.RnnTanh, V + 1, 6, 1), V, rng);
        foreach (var (_, p) in automatizer.NamedParameters()) rng.FillUniform(p.Value.Data, -2f, 2f); // varied predictions
        return new HistoryCompressor(automatizer, chunker, timeScale);
    }

    [Fact]
    public void SequencesHaveARandomFirstSymbolAPredictableMiddleAndTheLastSymbolOfTheFirst()
    {
        var sequences = new PredictableMiddleSequences(6, 3).Next(50);
        Assert.All(sequences, s =>
        {
            Assert.Equal(8, s.Length);
            Assert.Contains(s[0], new[] { 0, 2 });
            Assert.Equal(s[0] == 0 ? 1 : 3, s[^1]);
            Assert.Equal("efghef", string.Concat(s[1..^1].Select(i => PredictableMiddleSequences.Alphabet[i])));
        });
        Assert.Contains(sequences, s => s[0] == 0);
        Assert.Contains(sequences, s => s[0] == 2);
    }

    [Fact]
    public void CompressPassesExactlyTheSymbolsTheAutomatizerMispredictsWithTheirSteps()
    {
        var compressor = RandomCompressor(5, 12);
        var sequences = new PredictableMiddleSequences(10, 1).Next(30);
        var logits = compressor.Automatizer.Forward(HistoryCompressor.OneHot(sequences)).Data; // [T, B, V]
        var chunks = compressor.Compress(sequences);
        int passed = 0, kept = 0;
        for (int b = 0; b < 30; b++)
        {
            var expected = new List<(int Symbol, int Time)> { (sequences[b][0], 0) }; // nothing predicts the first symbol
            for (int t = 1; t < 12; t++)
            {
                int predicted = TensorPrimitives.IndexOfMax(logits.AsSpan(((t - 1) * 30 + b) * V, V));
                if (predicted != sequences[b][t]) expected.Add((sequences[b][t], t)); else kept++;
            }
            Assert.Equal(expected.Select(e => e.Symbol), chunks[b].Symbols);
            Assert.Equal(expected.Select(e => e.Time), chunks[b].Times);
            passed += expected.Count;
        }
        Assert.True(kept > 0 && passed > 30, $"the random automatizer should predict some symbols and miss others ({kept} kept, {passed} passed)");
    }

    [Fact]
    public void ChunkerBatchHoldsTheSymbolsTheirTimeStampsAndTheNextUnexpectedSymbol()
    {
        var batch = HistoryCompressor.ChunkerBatch([new ChunkerInput([0, 5, 1], [0, 3, 9]), new ChunkerInput([2], [0])], timeScale: 10);
        Assert.Equal([3, 1], batch.Lengths);
        Assert.Equal(V + 1, batch.FeatureCount);
        float At(int t, int b, int f) => batch.Inputs.Data[(t * 2 + b) * (V + 1) + f];
        Assert.Equal(1f, At(1, 0, 5));
        Assert.Equal(0.3f, At(1, 0, V), 6);
        Assert.Equal(0.9f, At(2, 0, V), 6);
        Assert.Equal(1f, At(0, 1, 2));
        Assert.Equal(0f, At(1, 1, 2));
        // Targets [T', B]: the next unexpected symbol, none at each row's last input and after it.
        Assert.Equal([5, StepClassificationBatch.Ignore, 1, StepClassificationBatch.Ignore, StepClassificationBatch.Ignore, StepClassificationBatch.Ignore], batch.Targets);
    }

    [Fact]
    public void TheTwoLevelsAreOneModule()
    {
        var compressor = RandomCompressor(2, 5);
        var names = compressor.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Contains(names, n => n.StartsWith("automatizer.", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("chunker.", StringComparison.Ordinal));
        Assert.Equal(compressor.Automatizer.NamedParameters().Count + compressor.Chunker.NamedParameters().Count, names.Length);
        var state = compressor.StateDict();
        var other = RandomCompressor(3, 5);
        other.LoadStateDict(state);
        Assert.Equal(state["chunker.output.weight"].Data, other.Chunker.Output.Weight.Value.Data);
        compressor.Training = false;
        Assert.False(compressor.Chunker.Training);
    }

    [Fact]
    public void CompressorPredictsTheLastSymbolAcrossALagTheSingleNetDoesNotBridge()
    {
        var row = CompressorExperiment.Run(new CompressorOptions
        {
            Middle = 20, Hidden = 8, AutomatizerSequences = 1500, ChunkerSequences = 1500, TestSequences = 200, Seed = 1,
        });
        Assert.True(row.CompressorRight >= 0.95, $"compressor {row.CompressorRight}");
        Assert.InRange(row.SymbolsToChunker, 2.0, 3.0);       // the first and the last symbol, of 22
        Assert.True(row.SingleNetClassRight < 0.8, $"single net b vs d {row.SingleNetClassRight}");
    }

    [Fact]
    public void BadSettingsNameTheSetting()
    {
        Assert.Equal("Middle", Assert.Throws<SettingException>(() => CompressorExperiment.Run(new CompressorOptions { Middle = 0 })).Setting);
        Assert.Equal("Hidden", Assert.Throws<SettingException>(() => CompressorExperiment.Run(new CompressorOptions { Hidden = 0 })).Setting);
    }
}
