using System.Globalization;
using Carousel.Training;

namespace Carousel.Cli;

/// <summary>
/// How every train command runs its prepared <see cref="Trainer{TBatch}"/>: Ctrl+C (or SIGTERM) stops the run with its position saved, a progress line shows every step and a line every
/// evaluation, and one closing line says what was kept. Exit code 0, or 130 when interrupted.
/// </summary>
internal static class TrainRunner
{
    public const int Interrupted = 130;

    /// <param name="trainer">The loop, built with the run's directory and, when resuming, its last checkpoint.</param>
    /// <param name="directory">The run's directory (--out).</param>
    /// <param name="tokens">What the model's tokens are called in the throughput ("sym", "chars", "tok").</param>
    public static int Run<TBatch>(Trainer<TBatch> trainer, string directory, string tokens = "tok")
    {
        trainer.Communicator = Distribution.Communicator; // several processes under mpirun (see Distribution)
        using var interrupt = new CtrlCCancellation();
        using var bar = new ProgressLine();
        var summary = trainer.Run(new SynchronousProgress<TrainingProgress>(p =>
        {
            double eta = p.Step > 0 ? p.ElapsedSeconds / p.Step * (p.PlannedSteps - p.Step) : 0;
            string line = string.Create(CultureInfo.InvariantCulture,
                $"step {p.Step}/{p.PlannedSteps}  epoch {p.Epoch:F2}  train {p.TrainLoss:F4}  {p.TokensPerSecond:N0} {tokens}/s  ETA {ProgressLine.Duration(eta)}");
            if (p.Evaluation is { } e) bar.Log($"{line}  {e.Summary}{(p.IsBest ? "  (best, saved)" : "")}");
            else if (p.IsBest) bar.Log($"{line}  (saved)");
            else bar.Update((double)p.Step / Math.Max(1, p.PlannedSteps), line);
        }), interrupt.Token);
        interrupt.StopListening();
        bar.Finish();
        string checkpoint = Path.Combine(directory, ModelCheckpoint.FileName);
        string kept = summary.Best is { } best
            ? string.Create(CultureInfo.InvariantCulture, $"best at step {best.Step} (epoch {best.Epoch:0.###}): {best.Summary}, saved in {checkpoint}")
            : File.Exists(checkpoint) ? $"the model of step {summary.Step} is in {checkpoint}" : "nothing saved yet";
        if (summary.Interrupted)
        {
            Console.WriteLine($"Interrupted at step {summary.Step}; {kept}; continue with --resume.");
            return Interrupted;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Done: {summary.Step} steps in {summary.ElapsedSeconds:F0} s; {kept}."));
        return 0;
    }
}
