using Carousel.Data.Tasks;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Experiments.Tasks;

/// <summary>
/// What a network that feeds its output back (<see cref="NarxNetwork"/>) needs from a task: the value its output means — the
/// activation the task's loss reads the raw output through, so that the fed-back value is the network's answer — and, for
/// teacher forcing, the targets of the steps that have one.
/// </summary>
public static class TaskOutputFeedback
{
    /// <summary>
    /// The activation of the task's outputs, judged by a batch of it: identity for regression (adding, multiplication), the
    /// task's squash for the two-class benchmarks (tanh for latch, logistic for 2-sequence and parity), sigmoid for sets of
    /// legal next symbols (reber, anbncn), softmax for classes (temporal order, copy).
    /// </summary>
    public static OutputActivation Activation(SequenceTask task, TaskBatch sample) => sample switch
    {
        LastStepRegressionBatch => OutputActivation.Identity,
        LastStepBinaryBatch => task.OutputSquash == OutputSquash.Logistic ? OutputActivation.Sigmoid : OutputActivation.Tanh,
        LegalNextSetBatch => OutputActivation.Sigmoid,
        _ => OutputActivation.Softmax,
    };

    /// <summary>Whether the task's batches have targets at steps whose output is read later (not only at the last step), which teacher forcing needs.</summary>
    public static bool HasStepTargets(TaskBatch sample) => sample is LegalNextSetBatch or StepClassificationTaskBatch;

    /// <summary>
    /// The targets of <paramref name="batch"/> as values to feed back, teacher [T, B, K], and where there is one, known [T·B]:
    /// the 0/1 set of legal next symbols at every step, the one-hot class at the scored steps of a step-classification task.
    /// Null for tasks with a target only at the last step (nothing later reads it).
    /// </summary>
    public static (Tensor Teacher, bool[] Known)? Targets(TaskBatch batch)
    {
        int T = batch.Steps, B = batch.BatchSize;
        switch (batch)
        {
            case LegalNextSetBatch legal:
            {
                var known = new bool[T * B];
                for (int t = 0; t < T; t++) for (int b = 0; b < B; b++) known[t * B + b] = t < batch.Lengths[b];
                return (legal.Data.Targets, known);
            }
            case StepClassificationTaskBatch steps:
            {
                int[] labels = steps.Data.Targets; // [T·B], Ignore where nothing is scored
                int K = steps.ClassCount;
                var teacher = new Tensor(T, B, K);
                var known = new bool[T * B];
                for (int i = 0; i < labels.Length; i++)
                {
                    if (labels[i] == StepClassificationBatch.Ignore) continue;
                    teacher.Data[i * K + labels[i]] = 1f;
                    known[i] = true;
                }
                return (teacher, known);
            }
            default:
                return null;
        }
    }
}
