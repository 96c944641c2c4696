using System.Diagnostics;
using Carousel.IO;
using Carousel.Training;

namespace Carousel.Tests.Cli;

/// <summary>
/// What protects a run's directory and its saved work: one run at a time (a lock a crashed run does not leave stuck),
/// a clear error for an --out that is a file, stale temporaries of killed writes removed, non-finite weights refused
/// at load, and SIGTERM saving like Ctrl-C.
/// </summary>
[Collection(CliCollection.Name)]
public class RunSafetyTests
{
    // A small training command; options in `more` replace the defaults of the same name.
    private static string[] TinyTrain(string text, string dir, params string[] more)
    {
        var args = new List<string> { "train", "--text", text, "--out", dir };
        string[] defaults = ["--hidden", "8", "--layers", "1", "--seq-length", "8", "--batch-size", "4", "--steps", "20", "--eval-every", "10", "--threads", "1"];
        for (int i = 0; i < defaults.Length; i += 2)
            if (!more.Contains(defaults[i])) args.AddRange([defaults[i], defaults[i + 1]]);
        args.AddRange(more);
        return [.. args];
    }

    [Fact]
    public void ASecondRunIntoAHeldDirectoryIsRefusedAndAStaleLockIsNot()
    {
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText());
        string dir = scratch.File("run");
        using (RunLock.Acquire(dir)) // another run holds it
        {
            var (code, _, error) = CliRunner.Run(TinyTrain(text, dir));
            Assert.NotEqual(0, code);
            Assert.Contains("in use by another training run", error);
            Assert.False(File.Exists(Path.Combine(dir, ModelCheckpoint.FileName)));
        }
        // A crashed run leaves the file but holds nothing.
        File.WriteAllText(Path.Combine(dir, RunLock.FileName), "");
        var (after, _, afterError) = CliRunner.Run(TinyTrain(text, dir));
        Assert.True(after == 0, afterError);
        Assert.False(File.Exists(Path.Combine(dir, RunLock.FileName)));
    }

    [Fact]
    public void AnOutThatIsAFileIsSaidToBeOne()
    {
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText());
        string file = scratch.Write("not-a-directory", "x");
        var (code, _, error) = CliRunner.Run(TinyTrain(text, file));
        Assert.NotEqual(0, code);
        Assert.Contains("is a file", error);
        Assert.Equal("x", File.ReadAllText(file));
    }

    /// <summary>
    /// An --out that cannot be written is refused before any data is read, by every trainer, and as root too (a chmod-ed
    /// directory is writable for root, a path below a regular file or in /proc is not): before, the run trained until
    /// its first save.
    /// </summary>
    [Theory]
    [InlineData("train", "--text", "t.txt")]
    [InlineData("classify", "train", "--train-lines", "a=t.txt", "--train-lines", "b=u.txt")]
    [InlineData("tag", "train", "--truecase", "t.txt")]
    [InlineData("generate", "train", "--train-lines", "a=t.txt", "--train-lines", "b=u.txt")]
    [InlineData("seq2seq", "train", "--train", "p.tsv", "--dev", "p.tsv")]
    public void AnOutThatCannotBeWrittenIsRefusedBeforeAnyWork(params string[] args)
    {
        using var scratch = new TempDirectory();
        scratch.Write("t.txt", TempDirectory.SampleText());
        scratch.Write("u.txt", string.Concat(Enumerable.Range(0, 40).Select(i => $"other {i}\n")));
        scratch.Write("p.tsv", "ab\tA B\nba\tB A\n");
        string file = scratch.Write("a-file", "x");
        string[] inScratch = [.. args.Select(a => a switch
        {
            "t.txt" or "p.tsv" => scratch.File(a),
            ['a' or 'b', '=', .. var name] => $"{a[0]}={scratch.File(name)}",
            _ => a,
        })];
        var (code, output, error) = CliRunner.Run([.. inScratch, "--out", Path.Combine(file, "run")]);
        Assert.Equal(1, code);
        Assert.Equal($"error: '{Path.Combine(file, "run")}' cannot be created: '{file}' is a file.{Environment.NewLine}", error);
        Assert.Equal("", output);
        Assert.Equal("x", File.ReadAllText(file));

        if (!Directory.Exists("/proc/self")) return; // Linux only
        string inProc = $"/proc/carousel-test-{Guid.NewGuid():N}";
        (code, output, error) = CliRunner.Run([.. inScratch, "--out", inProc]);
        Assert.Equal(1, code);
        Assert.Equal($"error: '{inProc}' cannot be created: no file or folder can be created in '/proc'.{Environment.NewLine}", error);
        Assert.Equal("", output);
    }

    [Fact]
    public void CheckingThatADirectoryIsWritableLeavesNothingBehind()
    {
        using var scratch = new TempDirectory();
        RunLock.RequireWritable(scratch.File("new/run"));
        RunLock.RequireWritable(scratch.Path);
        Assert.Empty(scratch.FileNames());
        var e = Assert.Throws<IOException>(() => RunLock.RequireWritable(Path.Combine(scratch.Write("f", ""), "a", "b")));
        Assert.Contains("is a file", e.Message);
    }

    [Fact]
    public void TemporariesOfKilledWritesAreRemovedWhenARunStarts()
    {
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText());
        string dir = scratch.File("run");
        Assert.Equal(0, CliRunner.Run(TinyTrain(text, dir, "--steps", "10")).ExitCode);
        string stale = Path.Combine(dir, $".{LastCheckpoint.FileName}.0123456789abcdef.tmp");
        string foreign = Path.Combine(dir, ".notes.txt.0123.tmp"); // not a file of the run: kept
        File.WriteAllText(stale, "half a checkpoint");
        File.WriteAllText(foreign, "mine");
        var (code, _, error) = CliRunner.Run(TinyTrain(text, dir, "--resume"));
        Assert.True(code == 0, error);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(foreign));
    }

    [Fact]
    public void ACheckpointWithANaNWeightIsRefusedNamingTheTensor()
    {
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText());
        string dir = scratch.File("run");
        Assert.Equal(0, CliRunner.Run(TinyTrain(text, dir)).ExitCode);
        string path = Path.Combine(dir, ModelCheckpoint.FileName);
        var file = SafeTensors.Read(path);
        var entries = file.Entries.Select(e =>
        {
            var values = e.ToTensor();
            if (e.Name == "output.weight") values.Data[3] = float.NaN;
            return SafeTensorsWriteEntry.FromTensor(e.Name, values);
        }).ToList();
        SafeTensors.Write(path, entries, file.Metadata);
        foreach (var args in new[] { new[] { "sample", dir, "--length", "5" }, ["eval", dir, "--text", text] })
        {
            var (code, output, error) = CliRunner.Run(args);
            Assert.NotEqual(0, code);
            Assert.Contains("output.weight: holds NaN", error);
            Assert.Equal("", output);
        }
    }

    /// <summary>Containers and schedulers stop a job with SIGTERM: the run saves where it stands and exits 130, as on Ctrl-C.</summary>
    [Fact]
    public async Task SigtermSavesTheRunLikeCtrlC()
    {
        if (OperatingSystem.IsWindows()) return; // no SIGTERM to send
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText(400));
        string dir = scratch.File("run");
        string cli = Path.Combine(AppContext.BaseDirectory, "Carousel.Cli.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] argv = [cli, .. TinyTrain(text, dir, "--steps", "1000000", "--eval-every", "1000000")];
        foreach (var a in argv) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        var errorTask = process.StandardError.ReadToEndAsync();
        // Wait until training has begun (the header line), then ask it to stop.
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            lock (output) if (output.ToString().Contains("steps")) break;
            await Task.Delay(50);
        }
        await Task.Delay(300);
        Assert.Equal(0, Kill(process.Id, "TERM"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        string error = await errorTask;
        Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}: {error}");
        var saved = LastCheckpoint.Load(dir, Carousel.Training.Char.CharCheckpoint.Kind);
        Assert.True(saved.Position.Step > 0);
        lock (output) Assert.Contains("Interrupted at step", output.ToString());
    }

    private static int Kill(int pid, string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {pid}");
        kill.WaitForExit();
        return kill.ExitCode;
    }
}

/// <summary>In a log (output redirected), every phase's progress ends with its final line, so a reader sees each run finished.</summary>
[Collection(CliCollection.Name)]
public class ProgressLogTests
{
    [Fact]
    public void EachCellsTrainingEndsWithItsLastStepInTheLog()
    {
        if (!Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is null) return; // a terminal redraws one line instead
        using var scratch = new TempDirectory();
        var (code, output, error) = CliRunner.Run("gradient-flow", "--cells", "rnn,lstm", "--train-steps", "30", "--length", "22", "--hidden", "4",
            "--measure-batch", "8", "--batch-size", "4", "--out", scratch.File("out"));
        Assert.True(code == 0, error);
        Assert.Contains("rnn  step    30/30", output);
        Assert.Contains("lstm  step    30/30", output);
    }
}

/// <summary>`tag train --epochs E --steps S`: the steps decide the length (as --help says), never a mix of both.</summary>
[Collection(CliCollection.Name)]
public class TagLengthTests
{
    [Fact]
    public void StepsOverrideEpochs()
    {
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText(60));
        string dir = scratch.File("run");
        var (code, output, error) = CliRunner.Run("tag", "train", "--truecase", text, "--out", dir, "--epochs", "3", "--steps", "5",
            "--hidden", "4", "--layers", "1", "--embedding", "4", "--batch-size", "4", "--max-length", "32", "--threads", "1");
        Assert.True(code == 0, error);
        Assert.Contains("Done: 5 steps", output);
        Assert.Equal(5, LastCheckpoint.Load(dir, Carousel.Training.Tagging.TaggerCheckpoint.Kind).Position.Step);
    }
}
