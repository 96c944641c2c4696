using Carousel.Layers.Recurrent;
using Carousel.Optimizers;

namespace Carousel.Experiments.Tasks;

/// <summary>How the gate biases of a new model are set before training, for long time lags.</summary>
/// <remarks>
/// Measured on the adding problem at T = 200 (1×64, Adam 0.01, batch 64, clip 1, seed 1, 200,000 sequences): with
/// chrono the LSTM solves it after 35,200 sequences and the GRU after 22,400; with the default init, or a forget bias
/// of 1 (LSTM and GRU) or 5 (LSTM), neither does — the loss stays at the target's variance. A large forget bias alone
/// keeps the cell summing every noisy value; chrono's closed input gate (b_i = −b_f) is what lets it pick out the two
/// marked ones. Hence chrono is the default.
/// </remarks>
public enum GateInitialization
{
    /// <summary>PyTorch's default: every bias U(−1/√H, 1/√H).</summary>
    Default,
    /// <summary>
    /// The bias of the gate that keeps the state (LSTM forget gate, GRU update gate z) set to
    /// <see cref="TaskTrainingOptions.ForgetBias"/>, so that the cell starts out remembering (Gers et al. 2000).
    /// </summary>
    ForgetBias,
    /// <summary>
    /// Chrono initialisation (Tallec &amp; Ollivier 2018): keep-gate bias log(u), u ~ U[1, T_max − 1] with T_max the
    /// task's longest sequence, and for an LSTM input-gate bias −log(u). See <see cref="RecurrentStack.InitializeChrono"/>.
    /// </summary>
    Chrono,
}

/// <summary>
/// The model of a task run that is a <see cref="Models.NarxNetwork"/> instead of a recurrent stack: its delays and whether
/// the fed-back outputs are the targets where the task has them (teacher forcing). A Jordan network is InputDelays 0,
/// OutputDelays 1.
/// </summary>
/// <param name="InputDelays">a: the hidden layer sees x_t … x_{t−a} (--input-delays).</param>
/// <param name="OutputDelays">b: the hidden layer sees y_{t−1} … y_{t−b} (--output-delays).</param>
/// <param name="TeacherForcing">Feed back the target instead of the output at every step that has one (--teacher-forcing).</param>
public sealed record NarxSettings(int InputDelays, int OutputDelays, bool TeacherForcing = false)
{
    /// <summary>The input delays of `--cell narx` when none are given: the current input alone, as the paper's latching nets.</summary>
    public const int DefaultInputDelays = 0;

    /// <summary>The output delays of `--cell narx` when none are given.</summary>
    public const int DefaultOutputDelays = 6;

    /// <summary>The Jordan network's: no input delays, one output delay.</summary>
    public static NarxSettings Jordan { get; } = new(0, 1);

    /// <summary>"jordan" for a = 0, b = 1, else "narx": the --cell name of the model.</summary>
    public string ModelName => InputDelays == 0 && OutputDelays == 1 ? "jordan" : "narx";
}

/// <summary>Everything that defines a run of <see cref="TaskTrainer"/>. Cells without gates (RNNs) ignore <see cref="GateInit"/>.</summary>
public sealed record TaskTrainingOptions
{
    /// <summary>The recurrent cell of the model (--cell).</summary>
    public CellKind Cell { get; init; } = CellKind.Lstm;
    /// <summary>When set, the model is a NARX (or Jordan) network with these delays, not a stack of <see cref="Cell"/>s (--cell narx|jordan).</summary>
    public NarxSettings? Narx { get; init; }
    /// <summary>The model's command-line name: <see cref="Cell"/>'s, or "narx" / "jordan".</summary>
    public string ModelName => Narx?.ModelName ?? Cell.ToCliName();
    /// <summary>Hidden units per recurrent layer (--hidden).</summary>
    public int Hidden { get; init; } = 64;
    /// <summary>Stacked recurrent layers (--layers).</summary>
    public int Layers { get; init; } = 1;
    /// <summary>One of <see cref="OptimizerSettings.Names"/>.</summary>
    public string Optimizer { get; init; } = "adam";
    /// <summary>The optimizer's learning rate (--lr).</summary>
    public float LearningRate { get; init; } = 1e-2f;
    /// <summary>Training sequences per batch, and test sequences per batch when checking (--batch).</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>Clip the global gradient norm to this; 0 turns clipping off.</summary>
    public float GradClip { get; init; } = 1f;
    /// <summary>Give up after this many training sequences (the 1997 paper counts sequences).</summary>
    public long MaxSequences { get; init; } = 1_000_000;
    /// <summary>Give up after this many optimizer steps (batches).</summary>
    public long MaxSteps { get; init; } = long.MaxValue;
    /// <summary>Optimizer steps between evaluations on the test sequences.</summary>
    public int EvaluateEvery { get; init; } = 50;
    /// <summary>Seeds the initial weights and the training sequences; the test sequences follow from it (--seed).</summary>
    public int Seed { get; init; } = 1;
    /// <summary>How the gate biases are set before training (--init); chrono by default.</summary>
    public GateInitialization GateInit { get; init; } = GateInitialization.Chrono;
    /// <summary>The keep-gate bias of <see cref="GateInitialization.ForgetBias"/>.</summary>
    public float ForgetBias { get; init; } = 1f;
    /// <summary>The learner's name (<see cref="TaskLearners"/>).</summary>
    public string Learner { get; init; } = "bptt";
    /// <summary>
    /// 0: one weight update per batch. k &gt; 0 (rtrl only): online learning, the weights updated after every k steps
    /// that have a loss, during the sequence (see <see cref="RtrlLearner"/>).
    /// </summary>
    public int UpdateEvery { get; init; }
    /// <summary>Threads for the matrix kernels and the batch-split time loops during the run.</summary>
    public int Threads { get; init; } = 1;
    /// <summary>
    /// h′ of truncated BPTT(h; h′) (learner bptt): the weights change every TbpttStep steps of the sequences, during the
    /// batch (see <see cref="TruncatedBpttLearner"/>); 0, the default: once per batch, BPTT over the whole sequence.
    /// </summary>
    public int TbpttStep { get; init; }
    /// <summary>h of BPTT(h; h′): how far back each update's gradient flows (0: TbpttStep).</summary>
    public int TbpttWindow { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first option out of range, in the command line's terms.</summary>
    public void Validate()
    {
        static void Require(bool ok, string setting, string message) => SettingException.Require(ok, setting, message);
        Require(Hidden > 0, "Hidden", $"Hidden must be positive, got {Hidden}.");
        Require(Layers > 0, "Layers", $"Layers must be positive, got {Layers}.");
        Require(BatchSize > 0, "BatchSize", $"BatchSize must be positive, got {BatchSize}.");
        Require(LearningRate > 0 && float.IsFinite(LearningRate), "LearningRate", $"LearningRate must be positive, got {LearningRate}.");
        Require(GradClip >= 0 && float.IsFinite(GradClip), "GradClip", $"GradClip must be ≥ 0 (0 turns clipping off), got {GradClip}.");
        Require(MaxSequences > 0, "MaxSequences", $"MaxSequences must be positive, got {MaxSequences}.");
        Require(MaxSteps > 0, "MaxSteps", $"MaxSteps must be positive, got {MaxSteps}.");
        Require(EvaluateEvery > 0, "EvaluateEvery", $"EvaluateEvery must be positive, got {EvaluateEvery}.");
        Require(Threads > 0, "Threads", $"Threads must be positive, got {Threads}.");
        Require(UpdateEvery >= 0, "UpdateEvery", $"UpdateEvery must be ≥ 0 (0: once per batch), got {UpdateEvery}.");
        Require(TbpttStep >= 0, "TbpttStep", $"TbpttStep must be ≥ 0 (0: BPTT over the whole sequence), got {TbpttStep}.");
        Require(TbpttWindow == 0 || (TbpttStep > 0 && TbpttWindow >= TbpttStep), "TbpttWindow",
            TbpttStep > 0 ? $"TbpttWindow (h) must be at least TbpttStep (h′), got {TbpttWindow} < {TbpttStep}." : "TbpttWindow needs TbpttStep (h′, the steps between updates).");
        Require(float.IsFinite(ForgetBias), "ForgetBias", $"ForgetBias must be a number, got {ForgetBias}.");
        if (Narx is { } narx)
        {
            Require(narx.InputDelays >= 0, "InputDelays", $"InputDelays must be ≥ 0 (0: the current input alone), got {narx.InputDelays}.");
            Require(narx.OutputDelays >= 0, "OutputDelays", $"OutputDelays must be ≥ 0 (0: no output feedback), got {narx.OutputDelays}.");
            Require(Layers == 1, "Layers", $"A {narx.ModelName} network has one hidden layer; Layers must be 1, got {Layers}.");
            Require(Learner == "bptt" && TbpttStep == 0, Learner == "bptt" ? "TbpttStep" : "Learner",
                $"A {narx.ModelName} network trains by BPTT over the whole sequence (Learner bptt, TbpttStep 0).");
        }
        Require(OptimizerSettings.IsKnown(Optimizer), "Optimizer", $"Unknown Optimizer '{Optimizer}': expected {OptimizerSettings.Names}.");
    }

    /// <summary>Parses a <see cref="GateInit"/> name: default, forget-bias or chrono.</summary>
    public static GateInitialization ParseGateInit(string name) => name.ToLowerInvariant() switch
    {
        "default" or "pytorch" => GateInitialization.Default,
        "forget-bias" or "forget" => GateInitialization.ForgetBias,
        "chrono" => GateInitialization.Chrono,
        _ => throw new SettingException("GateInit", $"Unknown GateInit '{name}': expected default, forget-bias or chrono."),
    };

    /// <summary>The --init name of <paramref name="init"/>: default, forget-bias or chrono.</summary>
    public static string GateInitName(GateInitialization init) => init switch
    {
        GateInitialization.ForgetBias => "forget-bias",
        GateInitialization.Chrono => "chrono",
        _ => "default",
    };
}
