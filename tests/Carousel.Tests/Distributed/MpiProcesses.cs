using System.Diagnostics;

namespace Carousel.Tests.Distributed;

/// <summary>
/// Runs the built `carousel` (Carousel.Cli.dll, next to the tests) as one process or under Open MPI's mpirun. Outside CI
/// a machine without mpirun skips the tests that need it, saying why; in CI (CI=true, where .ci/run installs Open MPI)
/// they fail instead.
/// </summary>
internal static class MpiProcesses
{
    public static string Cli => Path.Combine(AppContext.BaseDirectory, "Carousel.Cli.dll");

    /// <summary>mpirun on PATH (or Debian's), or null.</summary>
    public static string? MpiRun =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin")
            .Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);

    /// <summary>Skips outside CI when mpirun is missing; fails in CI.</summary>
    public static string RequireMpiRun()
    {
        string missing = "No mpirun: install Open MPI (apt-get install -y openmpi-bin libopenmpi-dev) to run the distributed-training tests.";
        Skip.If(MpiRun is null && Environment.GetEnvironmentVariable("CI") != "true", missing);
        Assert.True(MpiRun is not null, missing);
        return MpiRun!;
    }

    /// <summary>`carousel ARGS` as <paramref name="processes"/> processes (mpirun when more than 0; 0: one plain process).</summary>
    public static ProcessStartInfo StartInfo(int processes, IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(processes > 0 ? RequireMpiRun() : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (processes > 0)
            foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "-np", processes.ToString(), "dotnet" }) start.ArgumentList.Add(a);
        start.ArgumentList.Add(Cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        return start;
    }

    /// <summary>Runs to the end (at most two minutes) and returns the exit code and both outputs.</summary>
    public static (int ExitCode, string Out, string Error) Run(int processes, params string[] args)
    {
        using var process = Process.Start(StartInfo(processes, args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"`{string.Join(' ', args)}` on {processes} processes did not end within two minutes.");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>The float tensors of a safetensors file by name.</summary>
    public static Dictionary<string, float[]> Weights(string path)
    {
        var file = Carousel.IO.SafeTensors.Read(path);
        return file.Entries.Where(e => e.DType == Carousel.IO.SafeTensorsDType.Float32).ToDictionary(e => e.Name, e => e.ToTensor().Data);
    }
}
