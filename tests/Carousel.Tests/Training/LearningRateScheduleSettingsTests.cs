using Carousel.Optimizers;

namespace Carousel.Tests.Training;

/// <summary>One schedule definition for every trainer, giving each the rates it had before the options were shared.</summary>
public class LearningRateScheduleSettingsTests
{
    private const long StepsPerEpoch = 7, TotalSteps = 140;

    private static void AssertSameRates(LearningRateSchedule expected, LearningRateSchedule actual)
    {
        for (long step = 1; step <= TotalSteps; step++)
            Assert.Equal(expected.At(step, 0.01f), actual.At(step, 0.01f));
    }

    [Fact]
    public void DecayFromIsSeq2SeqsPerEpochStepDecay()
    {
        // The seq2seq trainer's schedule before the shared settings: StepDecay(stepsPerEpoch, rate, (decayFrom − 1) · stepsPerEpoch).
        var settings = new LearningRateScheduleSettings("step", DecayRate: 0.5f, DecayFrom: 3);
        AssertSameRates(new LearningRateSchedule.StepDecay(StepsPerEpoch, 0.5f, 2 * StepsPerEpoch), settings.Create(TotalSteps, StepsPerEpoch));
        Assert.Equal(0.01f, settings.Create(TotalSteps, StepsPerEpoch).At(2 * StepsPerEpoch, 0.01f)); // the last step of epoch 2
        Assert.Equal(0.005f, settings.Create(TotalSteps, StepsPerEpoch).At(2 * StepsPerEpoch + 1, 0.01f)); // the first of epoch 3
    }

    [Fact]
    public void StepWithoutDecayFromIsCharRnnsDecayAfterTenEpochs()
    {
        AssertSameRates(new LearningRateSchedule.StepDecay(StepsPerEpoch, 0.97f, 10 * StepsPerEpoch),
            new LearningRateScheduleSettings("step").Create(TotalSteps, StepsPerEpoch));
        // The character model's own step counts still win when given.
        AssertSameRates(new LearningRateSchedule.StepDecay(5, 0.97f, 30),
            new LearningRateScheduleSettings("step").Create(TotalSteps, StepsPerEpoch, decayEverySteps: 5, decayAfterSteps: 30));
    }

    [Fact]
    public void DefaultsAreConstantAndCosineKeepsItsWarmUp()
    {
        AssertSameRates(new LearningRateSchedule.Constant(), new LearningRateScheduleSettings().Create(TotalSteps, StepsPerEpoch));
        AssertSameRates(new LearningRateSchedule.Cosine(TotalSteps, 10), new LearningRateScheduleSettings("cosine", WarmupSteps: 10).Create(TotalSteps, StepsPerEpoch));
    }

    [Fact]
    public void WarmUpRampsAnySchedule()
    {
        var schedule = new LearningRateScheduleSettings("step", WarmupSteps: 4, DecayRate: 0.5f, DecayFrom: 2).Create(TotalSteps, StepsPerEpoch);
        Assert.Equal([0.0025f, 0.005f, 0.0075f, 0.01f, 0.01f], Enumerable.Range(1, 5).Select(s => schedule.At(s, 0.01f)));
        Assert.Equal(0.005f, schedule.At(StepsPerEpoch + 1, 0.01f));
    }

    [Theory]
    [InlineData("linear", 0, 0.5f, 0, "Unknown Schedule 'linear'")]
    [InlineData("cosine", -1, 0.5f, 0, "WarmupSteps must be ≥ 0")]
    [InlineData("step", 0, 0f, 2, "DecayRate must be in (0, 1]")]
    [InlineData("step", 0, 1.01f, 2, "DecayRate must be in (0, 1]")]
    [InlineData("cosine", 0, 0.5f, 2, "DecayFrom goes with Schedule step, not cosine")]
    [InlineData("step", 0, 0.5f, -1, "DecayFrom must be ≥ 0")]
    public void ImpossibleSettingsAreRefused(string name, long warmup, float rate, int from, string message) =>
        Assert.Contains(message, Assert.Throws<SettingException>(() => new LearningRateScheduleSettings(name, warmup, rate, from).Validate()).Message);
}
