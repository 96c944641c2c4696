using Carousel.Data;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Losses;
using Carousel.Tensors;

namespace Carousel.Models;

/// <summary>Sizes of a conditioned generator.</summary>
/// <param name="VocabularySize">V: the distinct symbols, <see cref="ConditionedGenerator.StartSymbol"/> and <see cref="ConditionedGenerator.EndSymbol"/> included.</param>
/// <param name="ConditionSize">C: the values of each condition vector.</param>
/// <param name="Cell">The recurrent cell of every layer.</param>
/// <param name="HiddenSize">H: the units of each recurrent layer.</param>
/// <param name="Layers">L: the stacked recurrent layers.</param>
/// <param name="EmbeddingSize">E: the length of each symbol's vector.</param>
/// <param name="Dropout">The chance, in [0, 1), that each output of a recurrent layer below the last is zeroed while training.</param>
/// <param name="Input">An embedding (the default) or one-hot symbols.</param>
/// <param name="OutputDropout">The chance, in [0, 1), that each output of the last recurrent layer is zeroed before the output layer while training.</param>
/// <param name="Init">How the recurrent weights are drawn.</param>
public sealed record ConditionedGeneratorConfig(
    int VocabularySize,
    int ConditionSize,
    CellKind Cell = CellKind.Lstm,
    int HiddenSize = 128,
    int Layers = 1,
    int EmbeddingSize = 32,
    float Dropout = 0f,
    InputEncoding Input = InputEncoding.Embedding,
    float OutputDropout = 0f,
    RecurrentInit Init = RecurrentInit.PyTorch);

/// <summary>
/// One-to-many: a character language model whose initial state is computed from a condition vector v [C]
/// (a one-hot label, image features, ...): for every layer k, h0_k = tanh(W_h,k·v + b_h,k), and for an LSTM
/// likewise c0_k = tanh(W_c,k·v + b_c,k), so that the condition sits in the memory cell from the first step on
/// instead of having to be copied there through the gates. All of them come from one Linear(C, S·L·H) named
/// "condition" (S = 2 for an LSTM: rows [h0 of layers 0..L−1, c0 of layers 0..L−1]; S = 1 otherwise).
/// Texts are wrapped in <see cref="StartSymbol"/> and <see cref="EndSymbol"/>; the model learns to end them.
/// Parameter names: embedding.*, rnn.*, output.* (those of <see cref="CharLanguageModel"/>) and condition.*.
/// </summary>
public sealed class ConditionedGenerator : IModule
{
    /// <summary>The symbol fed first to start every text (U+0002, "start of text").</summary>
    public const char StartSymbol = '\u0002';

    /// <summary>The symbol the model emits to end a text (U+0003, "end of text").</summary>
    public const char EndSymbol = '\u0003';

    private float[] _initial = [];      // [B, S·L·H] tanh(W·v + b)
    private float[] _dInitial = [];     // [B, S·L·H]

    /// <summary>The sizes it was built with.</summary>
    public ConditionedGeneratorConfig Config { get; }

    /// <summary>The character model that writes the text; its parameters keep their names embedding.*, rnn.*, output.*.</summary>
    public CharLanguageModel Language { get; }

    /// <summary>condition: Linear(C, S·L·H) whose tanh is the initial state (S = 2 for an LSTM: every layer's h, then every c).</summary>
    public Linear Condition { get; }

    /// <summary>A generator of the given sizes (at least one condition value), its weights drawn from <paramref name="rng"/>.</summary>
    public ConditionedGenerator(ConditionedGeneratorConfig config, Rng rng)
    {
        if (config.ConditionSize <= 0) throw new ArgumentException($"The condition needs at least one value, got {config.ConditionSize}.");
        Config = config;
        Language = new CharLanguageModel(new CharLanguageModelConfig(config.VocabularySize, config.Cell, config.HiddenSize,
            config.Layers, config.EmbeddingSize, config.Dropout, config.Input, config.OutputDropout, config.Init), rng);
        Condition = new Linear(config.ConditionSize, StateParts * config.Layers * config.HiddenSize, rng);
    }

    /// <summary>S: h only, or h and c for an LSTM.</summary>
    private int StateParts => Config.Cell.HasCellState() ? 2 : 1;

    /// <summary>The generators of the dropout masks.</summary>
    public IReadOnlyList<Rng> DropoutRngs => [Language.Rnn.DropoutRng];

    /// <summary>True while training (dropout between stacked layers draws masks); false to evaluate or generate.</summary>
    public bool Training
    {
        get => Language.Training;
        set => Language.Training = value;
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() =>
        [.. Language.NamedParameters(), .. Module.Child("condition", Condition)];

    /// <summary>conditions [B, C] → the initial state h, c [L, B, H] = tanh(W·v + b), laid out as the recurrent stack wants it.</summary>
    public RecurrentState InitialState(float[] conditions, int batch)
    {
        int C = Config.ConditionSize, L = Config.Layers, H = Config.HiddenSize, width = StateParts * L * H;
        if (conditions.Length != batch * C) throw new ArgumentException($"Expected {batch} condition vectors of {C} values, got {conditions.Length} values.");
        if (_initial.Length != batch * width) { _initial = new float[batch * width]; _dInitial = new float[batch * width]; }
        Condition.Forward(conditions, batch, _initial);
        System.Numerics.Tensors.TensorPrimitives.Tanh(_initial, _initial);
        var state = Language.Rnn.ZeroState(batch);
        for (int b = 0; b < batch; b++)
            for (int k = 0; k < L; k++)
            {
                _initial.AsSpan(b * width + k * H, H).CopyTo(state.H.Slice(k).Slice(b * H, H));
                if (state.C is not null) _initial.AsSpan(b * width + (L + k) * H, H).CopyTo(state.C.Slice(k).Slice(b * H, H));
            }
        return state;
    }

    // dh0, dc0 [L, B, H] → d(W·v + b) [B, S·L·H] = dstate ⊙ (1 − tanh²) → condition.weight, condition.bias.
    private void BackwardInitialState(RecurrentState dState, int batch)
    {
        int L = Config.Layers, H = Config.HiddenSize, width = StateParts * L * H;
        for (int b = 0; b < batch; b++)
            for (int k = 0; k < L; k++)
            {
                dState.H.Slice(k).Slice(b * H, H).CopyTo(_dInitial.AsSpan(b * width + k * H, H));
                if (dState.C is not null) dState.C.Slice(k).Slice(b * H, H).CopyTo(_dInitial.AsSpan(b * width + (L + k) * H, H));
            }
        for (int i = 0; i < batch * width; i++) _dInitial[i] *= 1f - _initial[i] * _initial[i];
        Condition.Backward(_dInitial.AsSpan(0, batch * width), default);
    }

    /// <summary>
    /// Forward over inputs [T, B] (time-major ids) from the conditions' initial state; with targets [T, B]
    /// (<see cref="SoftmaxCrossEntropy.Ignore"/> at padding) the mean cross-entropy in nats per symbol, and with
    /// <paramref name="backward"/> every gradient, the condition layer's included (through the initial state).
    /// </summary>
    public double Run(int[] inputs, int[] targets, int steps, int batch, float[] conditions, bool backward = false)
    {
        var initial = InitialState(conditions, batch);
        var (loss, _) = Language.Run(inputs, targets, steps, batch, initial, backward);
        if (backward) BackwardInitialState(Language.InitialStateGradient!, batch);
        return loss;
    }

    /// <summary>
    /// Generates one text for a condition: starts from its state, feeds <see cref="StartSymbol"/>, and draws
    /// symbols until <see cref="EndSymbol"/> or <paramref name="maxLength"/> symbols.
    /// </summary>
    public string Generate(CharVocabulary vocabulary, float[] condition, SamplingOptions options, Rng rng, int maxLength = 50) =>
        string.Concat(Stream(vocabulary, condition, options, rng, maxLength));

    /// <summary>
    /// As <see cref="Generate"/>, one symbol at a time as it is drawn (for a caller that shows the text as it grows).
    /// Options and vocabulary are checked before the first symbol is asked for.
    /// </summary>
    public IEnumerable<string> Stream(CharVocabulary vocabulary, float[] condition, SamplingOptions options, Rng rng, int maxLength = 50)
    {
        options.Validate();
        if (!vocabulary.TryGetId(StartSymbol, out int start) || !vocabulary.TryGetId(EndSymbol, out int end))
            throw new ArgumentException("The vocabulary lacks the start and end symbols.");
        return Symbols(vocabulary, condition, options, rng, maxLength, start, end);
    }

    private IEnumerable<string> Symbols(CharVocabulary vocabulary, float[] condition, SamplingOptions options, Rng rng, int maxLength, int start, int end)
    {
        bool wasTraining = Training;
        Training = false;
        try
        {
            var state = InitialState(condition, 1);
            var scratch = new float[vocabulary.Count];
            int[] next = [start];
            for (int i = 0; i < maxLength; i++)
            {
                (_, state) = Language.Run(next, null, 1, 1, state);
                next[0] = CharSampler.Choose(Language.Logits, options, rng, scratch);
                if (next[0] == end) break;
                yield return vocabulary.Decode(next[0]);
            }
        }
        finally
        {
            Training = wasTraining;
        }
    }
}
