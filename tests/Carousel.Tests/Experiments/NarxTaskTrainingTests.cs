using Carousel.Data.Tasks;
using Carousel.Experiments.Tasks;
using Carousel.Models;

namespace Carousel.Tests.Experiments;

public class NarxTaskTrainingTests
{
    private static TaskTrainingOptions Narx(int inputDelays = 0, int outputDelays = 2, bool teacherForcing = false) =>
        new() { Narx = new NarxSettings(inputDelays, outputDelays, teacherForcing), Hidden = 4, BatchSize = 16, EvaluateEvery = 10 };

    [Fact]
    public void ANarxNetworkLatchesAShortLatchByTheTasksCriterion()
    {
        // T = 3 (3 steps, the first ±1 and the rest noise): all 100 fresh test sequences within 0.1 of ±1.
        var task = TaskCatalog.Create("latch", length: 3, seed: 1);
        var trainer = new TaskTrainer(task, Narx() with { MaxSequences = 20_000, LearningRate = 0.03f });
        var before = trainer.Check();

        var result = trainer.Run();

        Assert.True(before.Wrong > 0);
        Assert.True(result.Solved, $"not solved after {result.Sequences} sequences: {result.LastEvaluation}");
        Assert.IsType<NarxNetwork>(trainer.Network);
        Assert.Throws<InvalidOperationException>(() => trainer.Tagger);
    }

    [Theory]
    [InlineData("adding", 22, OutputActivation.Identity)]
    [InlineData("latch", 10, OutputActivation.Tanh)]
    [InlineData("two-sequence", 10, OutputActivation.Sigmoid)]
    [InlineData("reber", null, OutputActivation.Sigmoid)]
    [InlineData("copy", 2, OutputActivation.Softmax)]
    [InlineData("temporal-order", null, OutputActivation.Softmax)]
    public void TheNetworkFeedsBackTheValueTheTaskScores(string name, int? length, OutputActivation expected)
    {
        var trainer = new TaskTrainer(TaskCatalog.Create(name, length, seed: 1), Narx());
        Assert.Equal(expected, trainer.Narx!.Options.Feedback);
        Assert.Equal(2, trainer.Narx.Options.OutputDelays);
    }

    [Fact]
    public void TeacherForcingFeedsBackTheTargetsOfTheScoredSteps()
    {
        var copy = TaskCatalog.Create("copy", length: 2, seed: 1).NextTrainingBatch(3);
        var (teacher, known) = TaskOutputFeedback.Targets(copy)!.Value;
        var labels = ((StepClassificationTaskBatch)copy).Data.Targets;
        int K = teacher.Dim(2);
        for (int i = 0; i < labels.Length; i++)
        {
            Assert.Equal(labels[i] != StepClassificationBatch.Ignore, known[i]);
            Assert.Equal(known[i] ? 1f : 0f, teacher.Data.AsSpan(i * K, K).ToArray().Sum());
            if (known[i]) Assert.Equal(1f, teacher.Data[i * K + labels[i]]);
        }
        var reber = TaskCatalog.Create("reber", seed: 1).NextTrainingBatch(2);
        var (sets, inside) = TaskOutputFeedback.Targets(reber)!.Value;
        Assert.Same(((LegalNextSetBatch)reber).Data.Targets, sets);
        Assert.Equal(reber.Lengths.Sum(), inside.Count(k => k));
        Assert.Null(TaskOutputFeedback.Targets(TaskCatalog.Create("latch", 10, seed: 1).NextTrainingBatch(2)));

        // The trainer reads them: the same batch and weights give another loss with teacher forcing.
        var task = TaskCatalog.Create("copy", length: 2, seed: 1);
        var batch = task.NextTrainingBatch(8);
        double free = new TaskTrainer(task, Narx()).TrainBatch(batch).Loss;
        double forced = new TaskTrainer(task, Narx(teacherForcing: true)).TrainBatch(batch).Loss;
        Assert.NotEqual(free, forced);
    }

    [Fact]
    public void TeacherForcingWhereOnlyTheLastStepHasATargetIsRefused()
    {
        var error = Assert.Throws<SettingException>(() => new TaskTrainer(TaskCatalog.Create("adding", 22, seed: 1), Narx(teacherForcing: true)));
        Assert.Equal("TeacherForcing", error.Setting);
    }

    [Theory]
    [InlineData("Learner")]
    [InlineData("TbpttStep")]
    [InlineData("Layers")]
    [InlineData("OutputDelays")]
    public void ANarxRunRefusesWhatItCannotDo(string setting)
    {
        var options = setting switch
        {
            "Learner" => Narx() with { Learner = "rtrl" },
            "TbpttStep" => Narx() with { TbpttStep = 5 },
            "Layers" => Narx() with { Layers = 2 },
            _ => Narx(outputDelays: -1),
        };
        Assert.Equal(setting, Assert.Throws<SettingException>(options.Validate).Setting);
    }
}

public class GradientReachTests
{
    [Fact]
    public void OutputDelaysCarryTheErrorFurtherBackThanAnElmanNet()
    {
        // The NARX claim at initialisation: 8 units, latch at T = 40, the error 30 steps back.
        var task = TaskCatalog.Create("latch", length: 40, seed: 1);
        var elman = GradientReach.Measure(task, new TaskTrainingOptions { Cell = Carousel.Layers.Recurrent.CellKind.RnnTanh, Hidden = 8 }, sequences: 16);
        var narx = GradientReach.Measure(task, new TaskTrainingOptions { Narx = new NarxSettings(0, 6), Hidden = 8 }, sequences: 16);
        var window = GradientReach.Measure(task, new TaskTrainingOptions { Narx = new NarxSettings(2, 0), Hidden = 8 }, sequences: 16);

        Assert.Equal(1.0, narx[0], 12);
        Assert.True(narx[30] > 1e3 * elman[30], $"narx {narx[30]:G3}, elman {elman[30]:G3}");
        Assert.True(window[2] > 0);
        Assert.Equal(0.0, window[3]); // without feedback the error reaches exactly the input window
    }
}
