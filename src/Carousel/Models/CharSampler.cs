using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Tensors;

namespace Carousel.Models;

/// <summary>Generates text one character at a time from a character language model, carrying the state.</summary>
/// <param name="model">The trained model; it is switched to evaluation while generating and back after.</param>
/// <param name="vocabulary">Turns the prime into ids and the drawn ids back into characters.</param>
public sealed class CharSampler(CharLanguageModel model, CharVocabulary vocabulary)
{
    /// <summary>How the weights streamed per character are kept (bfloat16: half the bytes, rounded; see <see cref="CharModelStepper"/>).</summary>
    public Carousel.Kernels.WeightPrecision Precision { get; init; }

    /// <summary>
    /// Reads the prime (or, without one, a newline if the vocabulary has it), then yields <paramref name="length"/>
    /// generated characters as they are produced.
    /// </summary>
    public IEnumerable<string> Generate(string prime, int length, SamplingOptions options, Rng rng)
    {
        // Checked here, before the first character is asked for, so bad input fails before any output.
        options.Validate();
        if (length < 0) throw new SettingException("Length", $"Length must be ≥ 0, got {length}.");
        int[] primeIds;
        try { primeIds = prime.Length > 0 ? vocabulary.Encode(prime) : [StartId()]; }
        catch (InvalidDataException e) { throw new SettingException("Prime", $"Prime: {e.Message}"); } // the caller's choice, not data
        return Generate(primeIds, length, options, rng);
    }

    private IEnumerable<string> Generate(int[] primeIds, int length, SamplingOptions options, Rng rng)
    {
        bool wasTraining = model.Training;
        model.Training = false;
        try
        {
            using var stepper = new CharModelStepper(model, precision: Precision);
            for (int p = 0; p < primeIds.Length - 1; p++) stepper.Step(primeIds[p]);
            var probabilities = new float[vocabulary.Count];
            int input = primeIds[^1];
            for (int i = 0; i < length; i++)
            {
                int next = Choose(stepper.Step(input), options, rng, probabilities);
                yield return vocabulary.Decode(next);
                input = next;
            }
        }
        finally
        {
            model.Training = wasTraining;
        }
    }

    private int StartId()
    {
        int newline = '\n';
        return vocabulary.Contains(newline) ? vocabulary.Encode("\n")[0] : 0;
    }

    /// <summary>Argmax, or a draw from softmax(logits / temperature) restricted to the k most likely.</summary>
    public static int Choose(ReadOnlySpan<float> logits, SamplingOptions options, Rng rng, Span<float> scratch)
    {
        int V = logits.Length;
        if (options.Argmax) return System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits);
        float cutoff = float.NegativeInfinity;
        if (options.TopK > 0 && options.TopK < V)
        {
            logits.CopyTo(scratch);
            scratch.Sort();
            cutoff = scratch[V - options.TopK];
        }
        float max = System.Numerics.Tensors.TensorPrimitives.Max(logits);
        double sum = 0;
        for (int v = 0; v < V; v++)
        {
            float p = logits[v] >= cutoff ? MathF.Exp((logits[v] - max) / options.Temperature) : 0f;
            scratch[v] = p;
            sum += p;
        }
        double u = rng.NextDouble() * sum;
        for (int v = 0; v < V; v++)
        {
            u -= scratch[v];
            if (u < 0) return v;
        }
        for (int v = V - 1; v >= 0; v--) if (scratch[v] > 0) return v;
        return 0;
    }
}
