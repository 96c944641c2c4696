using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Carousel.IO;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Char;

namespace Carousel.Tests.Distributed;

/// <summary>
/// Data-parallel training over Open MPI, through the built `carousel` under `mpirun --oversubscribe` on this machine:
/// N processes with global batch B train as one process with batch B; a process killed mid-run ends the run with the
/// last checkpoint intact; MPI asked for without Open MPI installed is one clear error.
/// </summary>
/// <remarks>
/// Tolerance: the processes sum float32 gradients in another order than one process (each shard's mean, weighted by its
/// share of the batch's count, then the sum over processes), so results agree to rounding, not bit for bit. With plain SGD
/// (no normalisation by Adam that would hide a wrongly scaled gradient) weights after six steps agree within 2e-6 of
/// their size here (we see ≤ 3e-7); a shard weighted wrongly moves them by 1e-4 or more, losses written with five decimals
/// agree within 2e-5.
/// </remarks>
public sealed class DistributedTrainingTests
{
    private static string[] CharRun(string text, string dir) =>
        ["train", "--text", text, "--out", dir, "--hidden", "16", "--layers", "2", "--embedding", "8", "--seq-length", "12",
         "--batch-size", "7", "--steps", "6", "--eval-every", "2", "--optimizer", "sgd", "--lr", "1", "--threads", "1", "--seed", "5"];

    [SkippableFact]
    public void CharModelOnTwoAndThreeProcessesTrainsAsOneWithTheSameGlobalBatch()
    {
        MpiProcesses.RequireMpiRun();
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText(60));
        string one = scratch.File("one");
        Succeeds(MpiProcesses.Run(0, CharRun(text, one)));
        foreach (int processes in new[] { 2, 3 }) // batch 7: shards of 3 + 4 and 2 + 2 + 3 windows
        {
            string many = scratch.File($"np{processes}");
            var result = MpiProcesses.Run(processes, CharRun(text, many));
            Succeeds(result);
            Assert.Equal(1, CountOf("Done:", result.Out)); // rank 0 alone speaks
            SameLosses(one, many, "train_loss", "val_loss");
            SameWeights(one, many);
        }
    }

    [SkippableFact]
    public void TaggerWithPaddedSequencesOfUnequalLengthsTrainsAsOneOnTwoAndThreeProcesses()
    {
        MpiProcesses.RequireMpiRun();
        using var scratch = new TempDirectory();
        string train = scratch.Write("train.jsonl", TaggedLines(36, 1));
        string dev = scratch.Write("dev.jsonl", TaggedLines(8, 2));
        string[] Args(string dir) => ["tag", "train", "--train", train, "--dev", dev, "--out", dir, "--hidden", "12", "--layers", "1",
            "--embedding", "8", "--batch-size", "6", "--epochs", "1", "--optimizer", "sgd", "--lr", "1", "--threads", "1", "--seed", "2"];
        string one = scratch.File("one");
        Succeeds(MpiProcesses.Run(0, Args(one)));
        foreach (int processes in new[] { 2, 3 })
        {
            string many = scratch.File($"np{processes}");
            Succeeds(MpiProcesses.Run(processes, Args(many)));
            SameLosses(one, many, "train_loss");
            SameWeights(one, many);
        }
    }

    /// <summary>`task train` (one-hot sequences, the loss at the last step or at every step): the same loss on 3 processes as on one.</summary>
    [SkippableFact]
    public void TaskTrainerOnThreeProcessesHasTheLossOfOne()
    {
        MpiProcesses.RequireMpiRun();
        foreach (string task in new[] { "temporal-order", "reber" })
        {
            string[] args = ["task", "train", task, "--hidden", "8", "--batch", "10", "--max-steps", "5", "--eval-every", "5",
                "--optimizer", "sgd", "--lr", "1", "--threads", "1", "--seed", "3", "--json"];
            var one = MpiProcesses.Run(0, args);
            var three = MpiProcesses.Run(3, args);
            double Loss((int ExitCode, string Out, string Error) r)
            {
                Assert.True(r.Out.Contains("{\"task\""), $"exit {r.ExitCode}:\n{r.Error}\n{r.Out}");
                string line = r.Out.Split('\n').Single(l => l.Contains("{\"task\""));
                using var json = JsonDocument.Parse(line[line.IndexOf('{')..]); // after any terminal escape the console wrote first
                return json.RootElement.GetProperty("train_loss").GetDouble();
            }
            Assert.Equal(Loss(one), Loss(three), 2e-6);
        }
    }

    /// <summary>
    /// A process killed mid-run (SIGKILL: no chance to say anything) ends the run within seconds with a non-zero exit and
    /// mpirun naming the rank that died; the last checkpoint loads, and the run continues from it on another number of processes.
    /// </summary>
    [SkippableFact]
    public void AKilledProcessEndsTheRunAndTheLastCheckpointResumes()
    {
        MpiProcesses.RequireMpiRun();
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText(60));
        string dir = scratch.File("run");
        string[] args = [.. CharRun(text, dir).Select(a => a == "6" ? "100000" : a)];
        using var mpirun = Process.Start(MpiProcesses.StartInfo(2, args))!;
        try
        {
            var output = mpirun.StandardOutput.ReadToEndAsync();
            var error = mpirun.StandardError.ReadToEndAsync();
            string last = LastCheckpoint.PathIn(dir);
            var clock = Stopwatch.StartNew();
            while (!File.Exists(last) && clock.Elapsed < TimeSpan.FromSeconds(90) && !mpirun.HasExited) Thread.Sleep(100);
            Assert.True(File.Exists(last), "no checkpoint was written");
            Process.GetProcessById(ChildOfRank(mpirun.Id, 1)).Kill();
            var killed = Stopwatch.StartNew();
            Assert.True(mpirun.WaitForExit(TimeSpan.FromSeconds(60)), "the run did not stop within a minute of a process's death");
            killed.Stop();
            string stderr = error.Result;
            _ = output.Result;
            Assert.NotEqual(0, mpirun.ExitCode);
            Assert.True(killed.Elapsed < TimeSpan.FromSeconds(20), $"the run took {killed.Elapsed.TotalSeconds:F1} s to stop");
            Assert.Contains("rank 1", stderr);
        }
        finally
        {
            if (!mpirun.HasExited) mpirun.Kill(entireProcessTree: true);
        }

        var saved = LastCheckpoint.Load(dir, CharCheckpoint.Kind);
        Assert.True(saved.Position.Step > 0);
        CharCheckpoint.Load(dir); // the best model loads too
        string steps = (saved.Position.Step + 2).ToString(CultureInfo.InvariantCulture);
        var resumed = MpiProcesses.Run(0, [.. CharRun(text, dir).Select(a => a == "6" ? steps : a), "--resume"]);
        Succeeds(resumed);
        Assert.Equal(saved.Position.Step + 2, LastCheckpoint.Load(dir, CharCheckpoint.Kind).Position.Step);
    }

    /// <summary>--distributed, or a process started by an MPI launcher, without Open MPI's library: one error line naming the packages, before any work.</summary>
    [Fact]
    public void MpiWithoutItsLibraryIsOneClearError()
    {
        using var scratch = new TempDirectory();
        string text = scratch.Write("t.txt", TempDirectory.SampleText(20));
        var missing = new Dictionary<string, string> { ["CAROUSEL_LIBMPI"] = scratch.File("no-libmpi.so") };
        foreach (var (args, environment) in new[]
                 {
                     (CharRun(text, scratch.File("a")).Append("--distributed"), missing),
                     (CharRun(text, scratch.File("b")), new Dictionary<string, string>(missing) { ["OMPI_COMM_WORLD_SIZE"] = "1", ["OMPI_COMM_WORLD_RANK"] = "0" }),
                 })
        {
            using var process = Process.Start(MpiProcesses.StartInfo(0, args, environment))!;
            string stdout = process.StandardOutput.ReadToEnd(), stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.Equal(1, process.ExitCode);
            Assert.Equal("", stdout);
            string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: Distributed training needs Open MPI", line);
            Assert.Contains("apt-get install openmpi-bin libopenmpi-dev", line);
        }
        Assert.False(Directory.Exists(scratch.File("a")));
    }

    [Fact]
    public void ShardsCoverEveryRowOnceInOrder()
    {
        for (int count = 1; count <= 5; count++)
            for (int batch = 0; batch <= 13; batch++)
            {
                int next = 0;
                for (int rank = 0; rank < count; rank++)
                {
                    var (start, end) = new BatchShard(rank, count).Rows(batch);
                    Assert.Equal(next, start);
                    Assert.InRange(end - start, batch / count, (batch + count - 1) / count);
                    next = end;
                }
                Assert.Equal(batch, next);
            }
    }

    private static void Succeeds((int ExitCode, string Out, string Error) result) =>
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}:\n{result.Error}\n{result.Out}");

    private static int CountOf(string what, string text) => text.Split(what).Length - 1;

    private static void SameLosses(string one, string many, params string[] keys)
    {
        var a = File.ReadAllLines(Path.Combine(one, MetricsLog.FileName));
        var b = File.ReadAllLines(Path.Combine(many, MetricsLog.FileName));
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
        {
            using var x = JsonDocument.Parse(a[i]);
            using var y = JsonDocument.Parse(b[i]);
            Assert.Equal(x.RootElement.GetProperty("step").GetInt64(), y.RootElement.GetProperty("step").GetInt64());
            foreach (var key in keys)
                Assert.Equal(x.RootElement.GetProperty(key).GetDouble(), y.RootElement.GetProperty(key).GetDouble(), 2e-5);
        }
    }

    private static void SameWeights(string one, string many)
    {
        var a = MpiProcesses.Weights(LastCheckpoint.PathIn(one));
        var b = MpiProcesses.Weights(LastCheckpoint.PathIn(many));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (name, x) in a)
        {
            var y = b[name];
            float scale = Math.Max(1e-3f, x.Max(Math.Abs));
            for (int i = 0; i < x.Length; i++)
                Assert.True(Math.Abs(x[i] - y[i]) <= 2e-6f * scale, $"{name}[{i}]: {x[i]} alone, {y[i]} distributed");
        }
    }

    /// <summary>The pid of the child of mpirun that runs <paramref name="rank"/> (Linux: /proc/PID/task/*/children and the child's environment).</summary>
    private static int ChildOfRank(int mpirun, int rank)
    {
        var seen = new List<string>();
        foreach (string task in Directory.GetDirectories($"/proc/{mpirun}/task"))
            foreach (string child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                string environment = File.ReadAllText($"/proc/{child}/environ");
                seen.Add(child);
                if (environment.Split('\0').Contains($"OMPI_COMM_WORLD_RANK={rank}")) return int.Parse(child, CultureInfo.InvariantCulture);
            }
        throw new InvalidOperationException($"No child of mpirun ({mpirun}) runs rank {rank}; its children: {string.Join(", ", seen)}.");
    }

    private static string TaggedLines(int count, int seed)
    {
        var rng = new Rng((ulong)seed);
        var lines = new List<string>();
        for (int n = 0; n < count; n++)
        {
            var text = new char[2 + rng.NextInt(10)];
            for (int i = 0; i < text.Length; i++) text[i] = "abc"[rng.NextInt(3)];
            var tags = new char[text.Length];
            for (int i = 0; i < text.Length; i++) tags[i] = i + 1 < text.Length && text[i + 1] == 'a' ? 'Y' : 'n';
            lines.Add(JsonSerializer.Serialize(new { text = new string(text), tags = new string(tags) }));
        }
        return string.Join("\n", lines) + "\n";
    }
}
