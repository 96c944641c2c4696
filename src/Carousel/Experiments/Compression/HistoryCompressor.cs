using System.Numerics.Tensors;
using Carousel.Data.Tasks;
using Carousel.Layers;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Experiments.Compression;

/// <summary>What reaches the chunker from one sequence: the symbols the automatizer failed to predict, with their time stamps.</summary>
/// <param name="Symbols">The unexpected symbols, in order (the first symbol of a sequence is always one: nothing predicts it).</param>
/// <param name="Times">[same length] the step of each in the original sequence.</param>
public sealed record ChunkerInput(int[] Symbols, int[] Times);

/// <summary>
/// Schmidhuber's (1992) two-level history compressor as one module: the automatizer, a recurrent net that reads the symbols
/// one-hot and predicts the next one at every step, and the chunker, a second recurrent net that sees only the symbols the
/// automatizer failed to predict (one-hot, with their time stamp as an extra input: step / <see cref="TimeScale"/>) and
/// predicts the next of those. Where the automatizer has learned the predictable parts, the chunker's sequences are much
/// shorter, so a long lag in the input becomes a short one for the chunker. Parameters: "automatizer.*" and "chunker.*".
/// </summary>
public sealed class HistoryCompressor : IModule
{
    /// <summary>The two levels over <see cref="PredictableMiddleSequences.SymbolCount"/> symbols.</summary>
    /// <param name="automatizer">Reads one-hot symbols [T, B, V], outputs V logits per step for the next symbol.</param>
    /// <param name="chunker">Reads one-hot unexpected symbols with their time stamp [T', B, V + 1], outputs V logits per step for the next unexpected symbol.</param>
    /// <param name="timeScale">Time stamps are step / timeScale (the longest sequence, so they lie in [0, 1]).</param>
    public HistoryCompressor(SequenceTagger automatizer, SequenceTagger chunker, int timeScale)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeScale, 1);
        Automatizer = automatizer;
        Chunker = chunker;
        TimeScale = timeScale;
    }

    /// <summary>The lower level: predicts every next symbol.</summary>
    public SequenceTagger Automatizer { get; }
    /// <summary>The upper level: predicts the next unexpected symbol.</summary>
    public SequenceTagger Chunker { get; }
    /// <summary>Time stamps are step / TimeScale.</summary>
    public int TimeScale { get; }

    private const int V = PredictableMiddleSequences.SymbolCount;

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() =>
        [.. Module.Child("automatizer", Automatizer), .. Module.Child("chunker", Chunker)];

    /// <inheritdoc/>
    public bool Training
    {
        get => Automatizer.Training;
        set { Automatizer.Training = value; Chunker.Training = value; }
    }

    /// <inheritdoc/>
    public IReadOnlyList<Rng> DropoutRngs => [.. Automatizer.DropoutRngs, .. Chunker.DropoutRngs];

    /// <summary>Sequences of equal length as one-hot inputs [T, B, V].</summary>
    public static Tensor OneHot(int[][] sequences)
    {
        int batch = sequences.Length, steps = sequences[0].Length;
        var x = new Tensor(steps, batch, V);
        for (int b = 0; b < batch; b++)
        {
            if (sequences[b].Length != steps) throw new ArgumentException("The sequences of a batch must have the same length.");
            for (int t = 0; t < steps; t++) x.Data[(t * batch + b) * V + sequences[b][t]] = 1f;
        }
        return x;
    }

    /// <summary>Next-symbol targets [T·B] of <paramref name="sequences"/>: step t's target is symbol t + 1; none at the last step.</summary>
    public static int[] NextSymbolTargets(int[][] sequences)
    {
        int batch = sequences.Length, steps = sequences[0].Length;
        var targets = new int[steps * batch];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < steps; t++) targets[t * batch + b] = t + 1 < steps ? sequences[b][t + 1] : StepClassificationBatch.Ignore;
        return targets;
    }

    /// <summary>The automatizer's prediction for each step: argmax of its logits [T, B, V] at step t − 1 predicts symbol t; [T·B], −1 at t = 0.</summary>
    public int[] AutomatizerPredictions(int[][] sequences) => AutomatizerPredictions(Automatizer, sequences);

    /// <summary>What <paramref name="automatizer"/> predicts for each step (see the instance method).</summary>
    public static int[] AutomatizerPredictions(SequenceTagger automatizer, int[][] sequences)
    {
        int batch = sequences.Length, steps = sequences[0].Length;
        bool training = automatizer.Training;
        automatizer.Training = false;
        var logits = automatizer.Forward(OneHot(sequences)).Data; // [T, B, V]
        automatizer.Training = training;
        var predicted = new int[steps * batch];
        for (int b = 0; b < batch; b++)
        {
            predicted[b] = -1;
            for (int t = 1; t < steps; t++) predicted[t * batch + b] = TensorPrimitives.IndexOfMax(logits.AsSpan(((t - 1) * batch + b) * V, V));
        }
        return predicted;
    }

    /// <summary>What reaches the chunker from each sequence: every symbol the automatizer did not predict (the first always), with its step.</summary>
    public ChunkerInput[] Compress(int[][] sequences) => Compress(Automatizer, sequences);

    /// <summary>What reaches a chunker from each sequence through <paramref name="automatizer"/> (see the instance method).</summary>
    public static ChunkerInput[] Compress(SequenceTagger automatizer, int[][] sequences)
    {
        int batch = sequences.Length, steps = sequences[0].Length;
        var predicted = AutomatizerPredictions(automatizer, sequences);
        var inputs = new ChunkerInput[batch];
        var symbols = new List<int>();
        var times = new List<int>();
        for (int b = 0; b < batch; b++)
        {
            symbols.Clear();
            times.Clear();
            for (int t = 0; t < steps; t++)
                if (predicted[t * batch + b] != sequences[b][t]) { symbols.Add(sequences[b][t]); times.Add(t); }
            inputs[b] = new ChunkerInput([.. symbols], [.. times]);
        }
        return inputs;
    }

    /// <summary>
    /// The chunker's batch: inputs [T', B, V + 1] (one-hot symbol, time stamp; zero after each row's end), targets [T'·B] the
    /// next unexpected symbol (none at each row's last), lengths [B]; T' = the longest row.
    /// </summary>
    public StepClassificationBatch ChunkerBatch(ChunkerInput[] inputs) => ChunkerBatch(inputs, TimeScale);

    /// <summary>The chunker's batch with time stamps step / <paramref name="timeScale"/> (see the instance method).</summary>
    public static StepClassificationBatch ChunkerBatch(ChunkerInput[] inputs, int timeScale)
    {
        int batch = inputs.Length, steps = inputs.Max(c => c.Symbols.Length), f = V + 1;
        var x = new Tensor(steps, batch, f);
        var targets = new int[steps * batch];
        Array.Fill(targets, StepClassificationBatch.Ignore);
        var lengths = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            var c = inputs[b];
            lengths[b] = c.Symbols.Length;
            for (int t = 0; t < c.Symbols.Length; t++)
            {
                int i = (t * batch + b) * f;
                x.Data[i + c.Symbols[t]] = 1f;
                x.Data[i + V] = (float)c.Times[t] / timeScale;
                if (t + 1 < c.Symbols.Length) targets[t * batch + b] = c.Symbols[t + 1];
            }
        }
        return new StepClassificationBatch(x, targets, lengths);
    }

    /// <summary>
    /// Whether the compressor predicts each sequence's last symbol: the automatizer's prediction when it was right; else (the
    /// last symbol reached the chunker) the chunker's prediction at the unexpected symbol before it.
    /// </summary>
    public bool[] PredictsLast(int[][] sequences)
    {
        int batch = sequences.Length, steps = sequences[0].Length;
        var predicted = AutomatizerPredictions(sequences);
        var chunks = Compress(sequences);
        bool training = Chunker.Training;
        Chunker.Training = false;
        var chunkBatch = ChunkerBatch(chunks);
        var logits = Chunker.Forward(chunkBatch.Inputs, chunkBatch.Lengths).Data; // [T', B, V]
        Chunker.Training = training;
        var right = new bool[batch];
        for (int b = 0; b < batch; b++)
        {
            int last = sequences[b][steps - 1];
            if (predicted[(steps - 1) * batch + b] == last) { right[b] = true; continue; }
            int before = chunks[b].Symbols.Length - 2; // the last symbol is the chunker's last input; it is predicted one input earlier
            right[b] = before >= 0 && TensorPrimitives.IndexOfMax(logits.AsSpan((before * batch + b) * V, V)) == last;
        }
        return right;
    }
}
