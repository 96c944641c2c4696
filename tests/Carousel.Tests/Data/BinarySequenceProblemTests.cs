using Xunit;
using Carousel.Data.Tasks;

namespace Carousel.Tests.Data;

public class BinarySequenceProblemTests
{
    private static float In(SequenceClassificationBatch batch, int t, int b, int f = 0) =>
        batch.Inputs.Data[(t * batch.BatchSize + b) * batch.FeatureCount + f];

    public static TheoryData<string> Problems => ["latch-1", "latch-2", "two-sequence", "parity"];

    private static BinarySequenceProblem Make(string name, int length, int seed) => name switch
    {
        "latch-1" => new LatchProblem(1, length, seed),
        "latch-2" => new LatchProblem(2, length, seed),
        "two-sequence" => new TwoSequenceProblem(length, seed),
        _ => new ParityProblem(length, seed),
    };

    [Theory]
    [MemberData(nameof(Problems))]
    public void LengthsAreUniformInTToTPlusAFifthAndClassesAlternate(string name)
    {
        var problem = Make(name, 50, seed: 3);
        var batch = problem.NextBatch(400);
        Assert.All(batch.Lengths, l => Assert.InRange(l, 50, 60));
        Assert.Contains(50, batch.Lengths);
        Assert.Contains(60, batch.Lengths);
        for (int b = 0; b < batch.BatchSize; b++) Assert.Equal(b % 2, batch.Labels[b]);
        // The stream goes on alternating across batches: an odd batch leaves the next one starting with class 1.
        var odd = Make(name, 50, 3);
        odd.NextBatch(3);
        Assert.Equal(1, odd.NextBatch(2).Labels[0]);
        // Nothing after each sequence's end.
        for (int b = 0; b < batch.BatchSize; b++)
            for (int t = batch.Lengths[b]; t < batch.Steps; t++)
                for (int f = 0; f < batch.FeatureCount; f++) Assert.Equal(0f, In(batch, t, b, f));
    }

    [Theory]
    [MemberData(nameof(Problems))]
    public void TheSameSeedGivesTheSameSequences(string name)
    {
        var a = Make(name, 20, 7).NextBatch(6);
        var b = Make(name, 20, 7).NextBatch(6);
        var c = Make(name, 20, 8).NextBatch(6);
        Assert.Equal(a.Inputs.Data, b.Inputs.Data);
        Assert.NotEqual(a.Inputs.Data, c.Inputs.Data);
    }

    [Fact]
    public void LatchVariantTwoStartsWithTheClassThenNoiseOfVarianceTwoTenths()
    {
        var batch = new LatchProblem(2, 200, 1).NextBatch(200);
        double sum = 0, squares = 0;
        int count = 0;
        for (int b = 0; b < batch.BatchSize; b++)
        {
            Assert.Equal(batch.Labels[b] == 1 ? 1f : -1f, In(batch, 0, b));
            for (int t = 1; t < batch.Lengths[b]; t++) { double x = In(batch, t, b); sum += x; squares += x * x; count++; }
        }
        double mean = sum / count, variance = squares / count - mean * mean;
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(variance, 0.19, 0.21);
    }

    [Fact]
    public void LatchVariantOneGivesTheClassOnlyAsAOneHotIndicatorAtTheFirstStep()
    {
        var batch = new LatchProblem(1, 30, 2).NextBatch(10);
        Assert.Equal(3, batch.FeatureCount);
        for (int b = 0; b < batch.BatchSize; b++)
        {
            int label = batch.Labels[b];
            Assert.Equal(0f, In(batch, 0, b, 0));            // no noise on the first element
            Assert.Equal(1f, In(batch, 0, b, 1 + label));
            Assert.Equal(0f, In(batch, 0, b, 2 - label));
            for (int t = 1; t < batch.Lengths[b]; t++)
            {
                Assert.NotEqual(0f, In(batch, t, b, 0));
                Assert.Equal(0f, In(batch, t, b, 1));
                Assert.Equal(0f, In(batch, t, b, 2));
            }
        }
    }

    [Fact]
    public void TwoSequenceCarriesTheClassInItsFirstNElementsOnly()
    {
        var batch = new TwoSequenceProblem(20, 4, relevantSteps: 3).NextBatch(20);
        for (int b = 0; b < batch.BatchSize; b++)
        {
            float sign = batch.Labels[b] == 1 ? 1f : -1f;
            for (int t = 0; t < 3; t++) Assert.Equal(sign, In(batch, t, b));
            Assert.Contains(Enumerable.Range(3, batch.Lengths[b] - 3), t => MathF.Abs(In(batch, t, b)) is > 0f and not 1f);
        }
    }

    [Fact]
    public void ParityLabelIsTheParityOfTheOnes()
    {
        var batch = new ParityProblem(9, 5).NextBatch(300);
        for (int b = 0; b < batch.BatchSize; b++)
        {
            var bits = new float[batch.Lengths[b]];
            for (int t = 0; t < bits.Length; t++)
            {
                bits[t] = In(batch, t, b);
                Assert.True(bits[t] is 1f or -1f);
            }
            Assert.Equal(batch.Labels[b], ParityProblem.ClassOf(bits));
        }
        // The first bit is not a giveaway of the class: both classes start with both values.
        var starts = Enumerable.Range(0, batch.BatchSize).Select(b => (batch.Labels[b], In(batch, 0, b))).Distinct().Count();
        Assert.Equal(4, starts);
    }

    [Fact]
    public void BadSettingsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LatchProblem(3, 10, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LatchProblem(1, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TwoSequenceProblem(3, 1, relevantSteps: 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ParityProblem(0, 1));
    }
}
