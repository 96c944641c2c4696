namespace Carousel.Tests.Cli;

/// <summary>
/// The training-loop options every train command shares (--optimizer, --lr, --momentum, --weight-decay, --grad-clip,
/// --batch-size, --seed, --threads), declared once: the same checks and the same descriptions everywhere.
/// </summary>
[Collection(CliCollection.Name)]
public class TrainingLoopOptionsTests
{
    private static readonly string[] Commands = ["train", "classify", "tag", "generate", "seq2seq"];

    public static TheoryData<string, string, string[]> ImpossibleLoopSettings()
    {
        var data = new TheoryData<string, string, string[]>();
        (string, string[])[] cases =
        [
            ("--lr must be positive, got 0.", ["--lr", "0"]),
            ("--lr must be positive, got NaN.", ["--lr", "NaN"]),
            ("--grad-clip must be ≥ 0 (0 turns clipping off), got -1.", ["--grad-clip", "-1"]),
            ("--batch-size must be positive, got 0.", ["--batch-size", "0"]),
            ("--threads must be positive, got 0.", ["--threads", "0"]),
            ("Unknown --optimizer 'lbfgs': expected sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw.", ["--optimizer", "lbfgs"]),
        ];
        foreach (var command in Commands)
            foreach (var (message, args) in cases) data.Add(command, message, args);
        return data;
    }

    [Theory]
    [MemberData(nameof(ImpossibleLoopSettings))]
    public void EveryTrainCommandRefusesAnImpossibleLoopSetting(string command, string message, string[] loop)
    {
        using var scratch = new TempDirectory();
        string data = scratch.File("absent"); // refused before any data is read
        string dir = scratch.File("run");
        TrainResumeCommandTests.FailsLeavingDirectoryAsItWas(dir, message, [.. ScheduleOptionsTests.TrainArgs(command, data, dir), .. loop]);
        Assert.False(Directory.Exists(dir));
    }

    [Theory]
    [InlineData("train", null, "Windows per batch.")]
    [InlineData("classify", "train", "Texts per batch (batches group texts of similar length).")]
    [InlineData("tag", "train", "Sequences per batch (batches group sequences of similar length).")]
    [InlineData("generate", "train", "Texts per batch (batches group texts of similar length).")]
    [InlineData("seq2seq", "train", "Pairs per batch (batches group pairs of similar length).")]
    public void EveryTrainCommandDescribesTheLoopOptionsAlike(string verb, string? subverb, string batchSize)
    {
        string[] args = subverb is null ? [verb, "--help"] : [verb, subverb, "--help"];
        var (code, output, error) = CliRunner.Run(args);
        Assert.True(code == 0, error);
        string[] shared =
        [
            "sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw.", "Learning rate.", "Momentum for momentum and nesterov.",
            "Weight decay (decoupled for adamw; 0 there means 0.01).", "Clip the global gradient norm to this (0: off).",
            "Random seed (weights, batches, dropout and any random dev split).", "Threads for the matrix kernels.", batchSize,
        ];
        foreach (var description in shared) Assert.Contains(description, output);
        foreach (var option in new[] { "--optimizer", "--lr", "--momentum", "--weight-decay", "--grad-clip", "--batch-size", "--seed", "--threads" })
            Assert.Contains(option + " <", output);
    }
}
