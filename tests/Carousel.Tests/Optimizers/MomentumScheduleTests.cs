using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Tests.Optimizers;

public class MomentumScheduleTests
{
    [Fact]
    public void SutskeversScheduleRisesInStepsOf250UpToTheCap()
    {
        var schedule = new MomentumSchedule("sutskever", 0.99f);
        // μ_t = 1 − 2^(−1 − log₂(⌊t/250⌋ + 1)) = 1 − 1 / (2·(⌊t/250⌋ + 1)).
        Assert.Equal(0.5f, schedule.At(0, 0.9f), 1e-6f);
        Assert.Equal(0.5f, schedule.At(249, 0.9f), 1e-6f);
        Assert.Equal(0.75f, schedule.At(250, 0.9f), 1e-6f);
        Assert.Equal(1 - 1 / 6f, schedule.At(500, 0.9f), 1e-6f);
        Assert.Equal(0.875f, schedule.At(999, 0.9f), 1e-6f);
        Assert.Equal(0.99f, schedule.At(12_250, 0.9f), 1e-6f);   // 1 − 1/100 reached at ⌊t/250⌋ = 49
        Assert.Equal(0.99f, schedule.At(1_000_000, 0.9f), 1e-6f);
        Assert.Equal(0.9f, new MomentumSchedule().At(5000, 0.9f));
    }

    [Fact]
    public void NesterovSgdUsesTheScheduledMomentum()
    {
        // One weight, gradient 1 every step: buf₁ = 1; buf₂ = μ₁·1 + 1; the Nesterov update is g + μ·buf.
        var p = new Parameter("w", new Tensor(1));
        var sgd = new Sgd([("w", p)], 1f, momentum: 0.9f, nesterov: true, schedule: new MomentumSchedule("sutskever", 0.99f));
        sgd.StepCount = 250; // the next step is t = 250: μ = 0.75
        p.Grad.Data[0] = 1;
        sgd.Step();
        Assert.Equal(-(1 + 0.75f * 1), p.Value.Data[0], 1e-6f);
        p.Grad.Data[0] = 1;
        sgd.Step();
        Assert.Equal(-(1.75f + 1 + 0.75f * 1.75f), p.Value.Data[0], 1e-5f);
    }
}
