using Carousel.Data.Tasks;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Experiments.Tasks;
using Xunit.Abstractions;

namespace Carousel.Tests.Experiments;

public class TaskTrainerTests(ITestOutputHelper output)
{
    [Fact]
    public void AnLstmSolvesAShortAddingProblemByThe1997Criterion()
    {
        // T = 22 (22..24 steps): solved after about 7,000 sequences, a few seconds on one core.
        var task = TaskCatalog.Create("adding", length: 22, seed: 1);
        var options = new TaskTrainingOptions { Hidden = 32, BatchSize = 32, LearningRate = 0.02f, MaxSequences = 40_000, EvaluateEvery = 25, Seed = 1 };
        var reports = new List<TaskProgress>();

        var result = new TaskTrainer(task, options).Run(reports.Add);

        foreach (var r in reports.Where(r => r.Evaluation is not null)) output.WriteLine($"{r.Sequences}: loss {r.TrainLoss:G4}, {r.Evaluation}");
        Assert.True(result.Solved, $"not solved after {result.Sequences} sequences: {result.LastEvaluation}");
        Assert.True(result.LastEvaluation!.Wrong <= 3);
        Assert.Equal(2560, result.LastEvaluation.Tested);
        Assert.True(result.Sequences < options.MaxSequences);
        // An untrained network is far off: at the first check nearly every test sequence is wrong.
        Assert.True(reports.First(r => r.Evaluation is not null).Evaluation!.Wrong > 3);
    }

    [Fact]
    public void TheBudgetStopsAnUnsolvedRunAndTheEvaluationStopsAtTheFirstFailures()
    {
        var task = TaskCatalog.Create("adding", length: 22, seed: 2);
        var options = new TaskTrainingOptions { Cell = CellKind.RnnTanh, Hidden = 8, BatchSize = 16, MaxSequences = 40, EvaluateEvery = 100 };

        var result = new TaskTrainer(task, options).Run();

        Assert.False(result.Solved);
        Assert.Equal(40, result.Sequences);      // 16 + 16 + the 8 left
        Assert.Equal(3, result.Steps);
        var evaluation = result.LastEvaluation!;  // checked once, at the end of the budget
        Assert.True(evaluation.Wrong > 3);
        Assert.True(evaluation.Tested < 2560, "the check should stop once more than 3 are wrong");
        Assert.False(evaluation.Solved);
    }

    [Fact]
    public void TheLearnerIsASeam()
    {
        var task = TaskCatalog.Create("temporal-order", seed: 1);
        var learner = new CountingLearner();
        var trainer = new TaskTrainer(task, new TaskTrainingOptions { Hidden = 4, BatchSize = 4, MaxSteps = 3, EvaluateEvery = 10 }, learner);

        var result = trainer.Run();

        Assert.Equal(3, learner.Calls);
        Assert.Equal(3, result.Steps);
        Assert.Equal(0.5, result.TrainLoss, 6);
        Assert.IsType<RtrlLearner>(TaskLearners.Create(new TaskTrainingOptions { Learner = "rtrl", Hidden = 8 }));
        Assert.Contains("Unknown Learner", Assert.Throws<SettingException>(() => TaskLearners.Create(new TaskTrainingOptions { Learner = "magic" })).Message);
    }

    private sealed class CountingLearner : ITaskLearner
    {
        public int Calls;
        public string Name => "counting";
        public bool UpdatesWeights => false;

        public double ComputeGradients(SequenceTagger model, TaskBatch batch, WeightUpdate update)
        {
            Calls++;
            return 0.5;
        }
    }

    [Fact]
    public void RegressionIsRightOnlyWithin0_04OfTheTarget()
    {
        var batch = (LastStepRegressionBatch)TaskCatalog.Create("adding", 22, seed: 3).NextTrainingBatch(5);
        var outputs = new float[batch.Steps * batch.BatchSize]; // [T, B, 1]
        var targets = batch.Data.Targets.Data;
        float[] offsets = [0f, 0.039f, -0.039f, 0.041f, -0.5f];
        for (int b = 0; b < 5; b++) outputs[(batch.Lengths[b] - 1) * batch.BatchSize + b] = targets[b] + offsets[b];
        var correct = new bool[5];

        batch.Judge(outputs, correct);

        Assert.Equal([true, true, true, false, false], correct);
        // The loss looks only at each sequence's last step: outputs anywhere else change nothing.
        var dOutputs = new float[outputs.Length];
        double loss = batch.Loss(outputs, dOutputs);
        Assert.Equal(offsets.Average(o => (double)o * o), loss, 5);
        for (int b = 0; b < 5; b++)
            Assert.Equal(2 * offsets[b] / 5, dOutputs[(batch.Lengths[b] - 1) * batch.BatchSize + b], 5);
        Assert.Equal(offsets.Count(o => o != 0), dOutputs.Count(d => d != 0));
    }

    [Fact]
    public void ClassificationIsRightWhenTheLastStepsLargestOutputIsTheClass()
    {
        var batch = (LastStepClassificationBatch)TaskCatalog.Create("temporal-order-3", seed: 4).NextTrainingBatch(4);
        int classes = 8, rows = batch.BatchSize;
        var outputs = new float[batch.Steps * rows * classes];
        for (int b = 0; b < rows; b++)
        {
            int label = batch.Data.Labels[b];
            int chosen = b == 2 ? (label + 1) % classes : label; // row 2 names a wrong class
            outputs[((batch.Lengths[b] - 1) * rows + b) * classes + chosen] = 3f;
            // A large output at an earlier step must not count.
            if (b == 1) outputs[(0 * rows + b) * classes + (label + 1) % classes] = 10f;
        }
        var correct = new bool[rows];

        batch.Judge(outputs, correct);

        Assert.Equal([true, true, false, true], correct);
    }

    [Fact]
    public void LegalSetsAreRightOnlyWhenEveryStepHasExactlyTheLegalSymbolsAbove0_5()
    {
        var batch = (LegalNextSetBatch)TaskCatalog.Create("reber", seed: 5).NextTrainingBatch(3);
        var data = batch.Data;
        var outputs = new float[data.Inputs.Length]; // [T, B, V] logits
        for (int t = 0; t < data.Steps; t++)
            for (int b = 0; b < 3; b++)
                for (int v = 0; v < data.SymbolCount; v++)
                    outputs[(t * 3 + b) * data.SymbolCount + v] = LegalSets.Contains(data.Masks[t * 3 + b], v) ? 4f : -4f;
        // Row 1: at its last step, one illegal symbol above 0.5.
        int last = data.Lengths[1] - 1, illegal = Enumerable.Range(0, data.SymbolCount).First(v => !LegalSets.Contains(data.Masks[last * 3 + 1], v));
        outputs[(last * 3 + 1) * data.SymbolCount + illegal] = 0.1f;
        var correct = new bool[3];

        batch.Judge(outputs, correct);

        Assert.Equal([true, false, true], correct);
    }

    [Fact]
    public void ACopyIsRightOnlyWhenEveryRecalledSymbolIs()
    {
        var batch = (StepClassificationTaskBatch)TaskCatalog.Create("copy", 3, seed: 6).NextTrainingBatch(2);
        int classes = 8, rows = 2;
        var outputs = new float[batch.Steps * rows * classes];
        for (int i = 0; i < batch.Data.Targets.Length; i++)
            if (batch.Data.Targets[i] >= 0) outputs[i * classes + batch.Data.Targets[i]] = 1f;
        int lastAnswer = (batch.Steps - 1) * rows + 1; // row 1's last recalled symbol made wrong
        outputs[lastAnswer * classes + (batch.Data.Targets[lastAnswer] + 1) % classes] = 2f;
        var correct = new bool[rows];

        batch.Judge(outputs, correct);

        Assert.Equal([true, false], correct);
    }

    [Fact]
    public void TestSequencesAreFreshAndTheSameEveryTime()
    {
        var task = TaskCatalog.Create("adding", 22, seed: 7);
        var train = (LastStepRegressionBatch)task.NextTrainingBatch(64);
        var first = task.TestBatches(64);
        var again = task.TestBatches(64);
        var otherChunks = task.TestBatches(100);

        Assert.Same(first, again);
        Assert.Equal(2560, first.Sum(b => b.BatchSize));
        Assert.Equal(2560, otherChunks.Sum(b => b.BatchSize));
        var test0 = (LastStepRegressionBatch)first[0];
        var test0Again = (LastStepRegressionBatch)otherChunks[0];
        Assert.Equal(test0.Data.Targets.Data, test0Again.Data.Targets.Data.Take(64));
        Assert.NotEqual(train.Data.Targets.Data, test0.Data.Targets.Data);
        // Every batch is padded to T + T/10 steps, so the recurrent stack keeps its buffers.
        Assert.All(first, b => Assert.Equal(24, b.Steps));
    }

    [Fact]
    public void ATrainingStepAllocatesNothingThatGrowsWithTheLength()
    {
        long BytesPerStep(int length)
        {
            var task = TaskCatalog.Create("adding", length, seed: 1);
            var trainer = new TaskTrainer(task, new TaskTrainingOptions { Hidden = 8, BatchSize = 4, MaxSteps = 1 });
            var learner = new BpttLearner();
            var batch = task.NextTrainingBatch(4);
            var update = new WeightUpdate(new Carousel.Optimizers.Sgd(trainer.Tagger.NamedParameters(), 0.1f), [], 0); // not used by BPTT
            for (int i = 0; i < 2; i++) learner.ComputeGradients(trainer.Tagger, batch, update); // buffers sized on the first passes
            // The least of three rounds: a one-time allocation (a worker started late by tests running beside this one)
            // shows in one round only, an allocation per step in all of them.
            long least = long.MaxValue;
            for (int round = 0; round < 3; round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 3; i++) learner.ComputeGradients(trainer.Tagger, batch, update);
                least = Math.Min(least, (GC.GetAllocatedBytesForCurrentThread() - before) / 3);
            }
            return least;
        }

        long short_ = BytesPerStep(30), long_ = BytesPerStep(300);
        output.WriteLine($"bytes allocated per training step: T = 30: {short_}, T = 300: {long_}");
        // A [T, B, H] buffer at T = 300 alone would be 330 · 4 · 8 · 4 bytes = 42 KB more.
        Assert.True(long_ - short_ < 1024, $"T = 30: {short_} bytes, T = 300: {long_} bytes per step");
    }

    [Theory]
    [InlineData("adding", 21, "at least 22")]
    [InlineData("reber", 5, "no length")]
    [InlineData("sorting", null, "Unknown task 'sorting'")]
    public void BadTasksAndLengthsAreRefusedClearly(string name, int? length, string message)
    {
        var error = Assert.Throws<SettingException>(() => TaskCatalog.Create(name, length));
        Assert.Contains(message, error.Message);
    }
}
