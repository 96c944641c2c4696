using Carousel.Experiments.Tasks;

namespace Carousel.Experiments.Guessing;

/// <summary>
/// The architectures of Hochreiter &amp; Schmidhuber (1996) and Schmidhuber, Hochreiter &amp; Bengio (2001) for random weight
/// guessing, as <see cref="FullyRecurrentNet"/>s:
/// <list type="bullet">
/// <item>"unit": the latch problems' single tanh unit, which is the output. For latch-1 (variant I) its 3 free parameters are
/// its self-connection and its weights from the two first-step class indicators (the papers' free first input values); the
/// noise reaches it with weight 1 and it has no bias. For latch (variant II): self-connection, input weight and bias.</item>
/// <item>"a1": fully connected: 1 (or F) input, H hidden units, K output units; every hidden and output unit sees the input,
/// every unit (itself included) and a bias.</item>
/// <item>"a2": like a1 with H = 10 by default but sparser: each hidden unit sees the input, the output units and itself;
/// each output unit sees the input and every hidden unit; all units are biased.</item>
/// </list>
/// </summary>
public static class GuessingNets
{
    /// <summary>The architecture names: unit, a1, a2.</summary>
    public static readonly IReadOnlyList<string> Names = ["unit", "a1", "a2"];

    /// <summary>The architecture the papers used for <paramref name="task"/>: "unit" for the latch problems, "a1" for the rest.</summary>
    public static string DefaultFor(string task) => task is "latch" or "latch-1" ? "unit" : "a1";

    /// <summary>The papers' hidden units for <paramref name="architecture"/>: 0 for "unit", 1 for "a1", 10 for "a2".</summary>
    public static int DefaultHidden(string architecture) => architecture switch { "unit" => 0, "a2" => 10, _ => 1 };

    /// <summary>A net of <paramref name="architecture"/> for <paramref name="task"/>, all free weights zero.</summary>
    /// <param name="architecture">One of <see cref="Names"/>.</param>
    /// <param name="task">The task: its inputs, outputs and output squash.</param>
    /// <param name="hidden">H, the hidden units (a1, a2; must be 0 for "unit").</param>
    public static FullyRecurrentNet Create(string architecture, SequenceTask task, int hidden)
    {
        SettingException.Require(Names.Contains(architecture), "Architecture", $"Unknown architecture '{architecture}': expected one of {string.Join(", ", Names)}.");
        int f = task.InputSize, k = task.OutputSize;
        if (architecture == "unit")
        {
            SettingException.Require(task.Name is "latch" or "latch-1", "Architecture",
                $"Architecture unit is the latch problems' single tanh unit (latch, latch-1); task '{task.Name}' needs a1 or a2.");
            SettingException.Require(hidden == 0, "Hidden", $"The single-unit architecture has no hidden units; Hidden must be 0, got {hidden}.");
            var unit = new FullyRecurrentNet(f, 0, 1, task.OutputSquash);
            if (task.Name == "latch-1")
            {
                unit.Fix(0, 0, 1f);  // the noise comes in with weight 1; the indicator weights are the free first inputs
                unit.Fix(2, 0, 0f);  // no bias
            }
            return unit;
        }
        SettingException.Require(hidden >= 1, "Hidden", $"Hidden must be at least 1 for {architecture}, got {hidden}.");
        var net = new FullyRecurrentNet(f, hidden, k, task.OutputSquash);
        if (architecture == "a2")
        {
            int u = net.Units;
            for (int to = 0; to < u; to++)
                for (int from = 0; from < u; from++)
                {
                    bool toHidden = to < hidden, fromHidden = from < hidden;
                    bool present = toHidden ? from == to || !fromHidden : fromHidden;
                    if (!present) net.Fix(1, to * u + from, 0f);
                }
        }
        return net;
    }
}
