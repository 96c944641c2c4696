namespace Carousel.Experiments.Guessing;

/// <summary>Settings of random weight guessing (<see cref="WeightGuessing"/>); the defaults are the guessing papers'.</summary>
public sealed record GuessingOptions
{
    /// <summary>The architecture (<see cref="GuessingNets.Names"/>); empty for the papers' choice for the task.</summary>
    public string Architecture { get; init; } = "";

    /// <summary>Hidden units; null for the architecture's default (<see cref="GuessingNets.DefaultHidden"/>).</summary>
    public int? Hidden { get; init; }

    /// <summary>r: every free weight is drawn uniformly from [−r, r] (the papers: 100).</summary>
    public float Range { get; init; } = 100f;

    /// <summary>Give up after this many guesses.</summary>
    public long MaxTrials { get; init; } = 100_000;

    /// <summary>The fixed training sequences every guess must get right (the papers: 100, half of each class).</summary>
    public int TrainingSequences { get; init; } = 100;

    /// <summary>Seeds the training sequences and the guesses (the test sequences come from the task's independent stream).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Training sequences run together; a guess is dropped at the first group with a wrong sequence.</summary>
    public int Chunk { get; init; } = 10;

    /// <summary>Throws a <see cref="SettingException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        SettingException.Require(Architecture.Length == 0 || GuessingNets.Names.Contains(Architecture), nameof(Architecture),
            $"Unknown architecture '{Architecture}': expected one of {string.Join(", ", GuessingNets.Names)}.");
        SettingException.Require(Hidden is null or >= 0, nameof(Hidden), $"Hidden must be ≥ 0, got {Hidden}.");
        SettingException.Require(float.IsFinite(Range) && Range > 0, nameof(Range), $"Range must be a positive number, got {Range}.");
        SettingException.Require(MaxTrials >= 1, nameof(MaxTrials), $"MaxTrials must be at least 1, got {MaxTrials}.");
        SettingException.Require(TrainingSequences >= 1, nameof(TrainingSequences), $"TrainingSequences must be at least 1, got {TrainingSequences}.");
        SettingException.Require(Chunk >= 1, nameof(Chunk), $"Chunk must be at least 1, got {Chunk}.");
    }
}

/// <summary>The outcome of one guessing run.</summary>
/// <param name="Solved">Whether a guess got every training sequence right within the budget.</param>
/// <param name="Trials">Guesses made (the last one is the solution when solved).</param>
/// <param name="TestWrong">Test sequences the solution gets wrong (null when not solved).</param>
/// <param name="TestSequences">The task's test sequences.</param>
/// <param name="FreeWeights">The number of weights each guess draws.</param>
/// <param name="Seconds">Wall-clock time.</param>
/// <param name="Interrupted">Whether cancellation stopped the run.</param>
public sealed record GuessResult(bool Solved, long Trials, int? TestWrong, int TestSequences, int FreeWeights, double Seconds, bool Interrupted);
