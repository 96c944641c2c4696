using Carousel.Data.Tasks;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Training.Experiments;

public sealed record EmbeddedReberOptions(
    CellKind Cell = CellKind.Lstm,
    int HiddenSize = 32,
    int BatchSize = 32,
    float LearningRate = 1e-2f,
    int MaxSteps = 3000,
    int EvaluateEvery = 50,
    int TestStrings = 256,
    float ForgetGateBias = 1f,
    int Seed = 1);

public sealed record EmbeddedReberProgress(int Step, int MaxSteps, double TrainLoss, double TestShare, int TrainingStrings);

public sealed record EmbeddedReberResult(int Steps, int TrainingStrings, double TestShare, bool Learned, TimeSpan Elapsed);

/// <summary>
/// Next-symbol prediction on the embedded Reber grammar (Hochreiter &amp; Schmidhuber 1997, experiment 1):
/// 7 sigmoid outputs trained with binary cross-entropy towards the set of legal next symbols.
/// A string counts as right when at every step exactly the legal symbols have output above 0.5;
/// the grammar is learned when every held-out test string is right. The test strings never appear in training.
/// The hard part is the long lag: the second symbol (T or P) must be remembered until the second to last.
/// </summary>
public static class EmbeddedReberExperiment
{
    public static EmbeddedReberResult Run(EmbeddedReberOptions options, Action<EmbeddedReberProgress>? progress = null, CancellationToken cancel = default)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var grammar = new EmbeddedReberGrammar(options.Seed);
        var testStrings = grammar.NextDistinctStrings(options.TestStrings);
        var testSet = testStrings.ToHashSet();
        var testBatch = EmbeddedReberGrammar.Encode(testStrings);

        const int symbols = EmbeddedReberGrammar.SymbolCount;
        var model = new SequenceTagger(new RecurrentOptions(options.Cell, symbols, options.HiddenSize), symbols, new Rng((ulong)options.Seed));
        if (options.Cell == CellKind.Lstm && options.ForgetGateBias != 0f) model.Rnn.InitializeForgetGateBias(options.ForgetGateBias);
        var optimizer = new Adam(model.NamedParameters(), options.LearningRate);
        // Decaying the rate lets the outputs settle precisely on the legal sets instead of hovering near 0.5.
        var schedule = new LearningRateSchedule.Cosine(options.MaxSteps, MinimumFraction: 0.05f);

        int trainingStrings = 0;
        double share = 0, recentLoss = 0;
        int step = 0;
        while (step < options.MaxSteps && !cancel.IsCancellationRequested)
        {
            step++;
            var strings = new string[options.BatchSize];
            for (int b = 0; b < strings.Length; b++)
            {
                string s;
                do s = grammar.NextString(); while (testSet.Contains(s));
                strings[b] = s;
            }
            trainingStrings += strings.Length;
            var batch = EmbeddedReberGrammar.Encode(strings);

            optimizer.ZeroGrad();
            model.Training = true;
            var logits = model.Forward(batch.Inputs, batch.Lengths);
            var dLogits = new float[logits.Length];
            double loss = SigmoidBinaryCrossEntropy.Compute(logits.Data, batch.Targets.Data, symbols, ActiveRows(batch), dLogits);
            model.Backward(dLogits);
            GradientClipping.ClipByGlobalNorm(model.NamedParameters().Select(p => p.Parameter), 5.0);
            optimizer.LearningRate = schedule.At(step, options.LearningRate);
            optimizer.Step();
            recentLoss = step == 1 ? loss : 0.9 * recentLoss + 0.1 * loss;

            if (step % options.EvaluateEvery == 0 || step == options.MaxSteps)
            {
                share = Evaluate(model, testBatch);
                progress?.Invoke(new EmbeddedReberProgress(step, options.MaxSteps, recentLoss, share, trainingStrings));
                if (share >= 1.0) break;
            }
        }
        return new EmbeddedReberResult(step, trainingStrings, share, share >= 1.0, started.Elapsed);
    }

    /// <summary>Share of the batch's strings predicted right at every step.</summary>
    public static double Evaluate(SequenceTagger model, SymbolPredictionBatch batch)
    {
        model.Training = false;
        var logits = model.Forward(batch.Inputs, batch.Lengths);
        var probabilities = new float[logits.Length];
        for (int i = 0; i < probabilities.Length; i++) probabilities[i] = SigmoidBinaryCrossEntropy.Sigmoid(logits.Data[i]);
        return (double)batch.CountCorrect(probabilities) / batch.BatchSize;
    }

    // [T·B] whether step t of row b is inside its string.
    private static bool[] ActiveRows(SymbolPredictionBatch batch)
    {
        var active = new bool[batch.Steps * batch.BatchSize];
        for (int t = 0; t < batch.Steps; t++)
            for (int b = 0; b < batch.BatchSize; b++) active[t * batch.BatchSize + b] = t < batch.Lengths[b];
        return active;
    }
}
