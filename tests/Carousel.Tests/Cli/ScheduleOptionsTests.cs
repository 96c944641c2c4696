using System.Text.Json;

namespace Carousel.Tests.Cli;

/// <summary>The learning-rate schedule options every train command shares (--schedule, --warmup, --decay-rate, --decay-from).</summary>
[Collection(CliCollection.Name)]
public class ScheduleOptionsTests
{
    public static TheoryData<string, string, string[]> ImpossibleSchedules()
    {
        var data = new TheoryData<string, string, string[]>();
        (string, string[])[] cases =
        [
            ("--warmup must be ≥ 0", ["--warmup", "-1"]),
            ("--decay-rate must be in (0, 1]", ["--decay-rate", "0"]),
            ("--decay-rate must be in (0, 1]", ["--decay-rate", "1.5"]),
            ("--decay-from goes with --schedule step, not cosine", ["--schedule", "cosine", "--decay-from", "3"]),
            ("--decay-from goes with --schedule step, not constant", ["--schedule", "constant", "--decay-from", "3"]),
            ("Unknown --schedule 'linear'", ["--schedule", "linear"]),
            ("--decay-from must be ≥ 0", ["--decay-from", "-2"]),
        ];
        foreach (var command in new[] { "train", "classify", "tag", "generate", "seq2seq" })
            foreach (var (message, args) in cases) data.Add(command, message, args);
        return data;
    }

    /// <summary>The least a train command needs to get as far as checking its options (the data need not exist).</summary>
    internal static string[] TrainArgs(string command, string data, string dir) => command switch
    {
        "train" => ["train", "--text", data, "--out", dir],
        "classify" => ["classify", "train", "--train", data, "--out", dir],
        "tag" => ["tag", "train", "--train", data, "--out", dir],
        "generate" => ["generate", "train", "--train", data, "--out", dir],
        _ => ["seq2seq", "train", "--train", data, "--dev", data, "--out", dir],
    };

    [Theory]
    [MemberData(nameof(ImpossibleSchedules))]
    public void EveryTrainCommandRefusesAnImpossibleSchedule(string command, string message, string[] schedule)
    {
        using var scratch = new TempDirectory();
        string data = scratch.File("absent"); // refused before any data is read
        string dir = scratch.File("run");
        TrainResumeCommandTests.FailsLeavingDirectoryAsItWas(dir, message, [.. TrainArgs(command, data, dir), .. schedule]);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void DecayFromAloneMeansStepDecayAsSeq2SeqAlwaysHad()
    {
        using var scratch = new TempDirectory();
        string pairs = scratch.Write("pairs.tsv", "ab\tB A\nba\tA B\nabc\tC B A\ncab\tB A C\n");
        string dir = scratch.File("run");
        var (code, _, error) = CliRunner.Run("seq2seq", "train", "--train", pairs, "--dev", pairs, "--out", dir, "--embedding", "4", "--hidden", "4",
            "--decoder-hidden", "4", "--batch-size", "2", "--epochs", "3", "--lr", "0.01", "--decay-from", "2", "--decay-rate", "0.5");
        Assert.True(code == 0, error);
        var rates = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("lr").GetSingle()).ToArray();
        Assert.Equal([0.01f, 0.005f, 0.0025f], rates);
    }

    [Fact]
    public void TheClassifierAndTheGeneratorNowTakeASchedule()
    {
        using var scratch = new TempDirectory();
        string a = scratch.Write("a.txt", "aa\naaa\naab\naba\nab\n"), b = scratch.Write("b.txt", "bb\nbbb\nbba\nbab\nba\n");
        foreach (var verb in new[] { "classify", "generate" })
        {
            string dir = scratch.File(verb);
            var (code, _, error) = CliRunner.Run(verb, "train", "--train-lines", $"A={a}", "--train-lines", $"B={b}", "--dev-fraction", "0.3", "--out", dir,
                "--hidden", "4", "--embedding", "4", "--epochs", "2", "--schedule", "cosine", "--warmup", "1");
            Assert.True(code == 0, error);
        }
    }
}
