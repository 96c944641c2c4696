using Carousel.Layers;
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
    /// <summary>Clockwork and timescales cells: the period of each module, ascending (--clock-periods; null: 1, 2, 4, 8).</summary>
    public IReadOnlyList<int>? ClockPeriods { get; init; }
    /// <summary>Time-delay layers (cell tdnn): the window of frames each output sees (--tdnn-context, --tdnn-dilations).</summary>
    public TimeDelayWindow? TimeDelay { get; init; }
    /// <summary>When set, the model is a NARX (or Jordan) network with these delays, not a stack of <see cref="Cell"/>s (--cell narx|jordan).</summary>
    public NarxSettings? Narx { get; init; }
    /// <summary>The model's command-line name: <see cref="Cell"/>'s, or "narx" / "jordan".</summary>
    public string ModelName => Narx?.ModelName ?? Cell.ToCliName();
    /// <summary>Hidden units per recurrent layer (--hidden).</summary>
    public int Hidden { get; init; } = 64;
    /// <summary>Stacked recurrent layers (--layers).</summary>
    public int Layers { get; init; } = 1;
    /// <summary>One of <see cref="OptimizerSettings.Names"/>, or "hf": Hessian-free (<see cref="HessianFreeLearner"/>; with <see cref="HessianFree"/>'s knobs).</summary>
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

    /// <summary>
    /// How the recurrent weights are drawn: "pytorch" (the default), "xavier", "orthogonal" (<see cref="RecurrentInit"/>) or
    /// "echo-state": each gate block of weight_hh sparse (15 non-zeros per row, N(0, 1)) scaled to <see cref="SpectralRadius"/>,
    /// weight_ih from N(0, <see cref="InputScale"/>²), biases zero (Sutskever, Martens, Dahl &amp; Hinton 2013).
    /// </summary>
    public string RecurrentInit { get; init; } = "pytorch";

    /// <summary>RecurrentInit echo-state: the spectral radius of each gate block of weight_hh.</summary>
    public float SpectralRadius { get; init; } = 1.1f;

    /// <summary>RecurrentInit echo-state: the standard deviation of weight_ih.</summary>
    public float InputScale { get; init; } = 0.1f;

    /// <summary>The recurrent-init names: the stack's own and echo-state.</summary>
    public const string RecurrentInitNames = "pytorch, xavier, orthogonal or echo-state";

    /// <summary>Non-zeros per row of an echo-state weight_hh block.</summary>
    public const int EchoStateConnections = 15;

    /// <summary>The knobs of Optimizer hf (ignored by the others).</summary>
    public HessianFreeSettings HessianFree { get; init; } = new();

    /// <summary>Optimizer hf: the sequences of each batch its curvature products use (the batch's first ones); 0: a fifth of BatchSize.</summary>
    public int CurvatureBatch { get; init; }

    /// <summary>Whether the run trains by Hessian-free optimisation (Optimizer hf) rather than a first-order optimizer.</summary>
    public bool IsHessianFree => Optimizer == "hf";

    /// <summary>The curvature batch of Optimizer hf: <see cref="CurvatureBatch"/>, or a fifth of the batch (at least 1).</summary>
    public int CurvatureRows => CurvatureBatch > 0 ? Math.Min(CurvatureBatch, BatchSize) : Math.Max(1, BatchSize / 5);

    /// <summary>
    /// The first-order optimizer the training loop builds: the named one, or for Optimizer hf plain SGD, which never steps
    /// (the HF learner updates the weights itself).
    /// </summary>
    public OptimizerSettings LoopOptimizer => IsHessianFree ? new("sgd", LearningRate) : new(Optimizer, LearningRate, Momentum, MomentumSchedule: MomentumSchedule);

    /// <summary>μ of Optimizer momentum and nesterov (--momentum).</summary>
    public float Momentum { get; init; } = 0.9f;

    /// <summary>How μ changes with the step (Optimizer momentum and nesterov): constant, or Sutskever et al.'s schedule.</summary>
    public MomentumSchedule MomentumSchedule { get; init; } = new();

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
        Require(RecurrentInit == "echo-state" || RecurrentInitializer.Parse(RecurrentInit) is not null, "RecurrentInit", $"Unknown RecurrentInit '{RecurrentInit}': expected {RecurrentInitNames}.");
        Require(SpectralRadius > 0 && float.IsFinite(SpectralRadius), "SpectralRadius", $"SpectralRadius must be positive, got {SpectralRadius}.");
        Require(InputScale >= 0 && float.IsFinite(InputScale), "InputScale", $"InputScale must be ≥ 0, got {InputScale}.");
        Require(float.IsFinite(ForgetBias), "ForgetBias", $"ForgetBias must be a number, got {ForgetBias}.");
        Require(TbpttStep == 0 || (Cell.IsRecurrent() && !Cell.HasClock()), "TbpttStep",
            $"The {Cell.ToCliName()} cell carries no clock or window across the windows of truncated BPTT: train it over whole sequences (TbpttStep 0).");
        RecurrentOptions(1).Validate();
        if (Narx is { } narx)
        {
            Require(!IsHessianFree, "Optimizer", $"Optimizer hf trains a recurrent stack (rnn or lstm), not a {narx.ModelName} network.");
            Require(narx.InputDelays >= 0, "InputDelays", $"InputDelays must be ≥ 0 (0: the current input alone), got {narx.InputDelays}.");
            Require(narx.OutputDelays >= 0, "OutputDelays", $"OutputDelays must be ≥ 0 (0: no output feedback), got {narx.OutputDelays}.");
            Require(Layers == 1, "Layers", $"A {narx.ModelName} network has one hidden layer; Layers must be 1, got {Layers}.");
            Require(Learner == "bptt" && TbpttStep == 0, Learner == "bptt" ? "TbpttStep" : "Learner",
                $"A {narx.ModelName} network trains by BPTT over the whole sequence (Learner bptt, TbpttStep 0).");
        }
        Require(OptimizerSettings.IsKnown(Optimizer) || IsHessianFree, "Optimizer", $"Unknown Optimizer '{Optimizer}': expected {OptimizerSettings.Names}, or hf (Hessian-free).");
        Require(CurvatureBatch >= 0, "CurvatureBatch", $"CurvatureBatch must be ≥ 0 (0: a fifth of BatchSize), got {CurvatureBatch}.");
        SettingException.Require(CurvatureBatch <= BatchSize, "CurvatureBatch", $"CurvatureBatch (the curvature sequences, taken from each batch) must be at most BatchSize {BatchSize}, got {CurvatureBatch}.", "BatchSize");
        if (IsHessianFree) HessianFree.Validate();
        else LoopOptimizer.Validate();
    }

    /// <summary>The stack these options describe over <paramref name="inputSize"/> features per step.</summary>
    public RecurrentOptions RecurrentOptions(int inputSize) => new(Cell, inputSize, Hidden, Layers, ClockPeriods: ClockPeriods, TimeDelay: TimeDelay);

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
