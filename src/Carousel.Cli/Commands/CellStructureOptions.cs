using System.CommandLine;
using System.Globalization;
using Carousel.Layers;
using Carousel.Layers.Recurrent;

namespace Carousel.Cli.Commands;

/// <summary>
/// --clock-periods, --tdnn-context and --tdnn-dilations, declared once for every command whose stack may be a clockwork,
/// timescales or time-delay one (tag, classify, ctc, task train), read into the library's ClockPeriods and TimeDelay.
/// </summary>
internal sealed class CellStructureOptions
{
    public readonly Option<string?> ClockPeriods = new("--clock-periods")
    {
        Description = "clockwork and timescales cells: the period of each module, ascending, comma-separated; --hidden must be a multiple of their count (default 1,2,4,8).",
    };
    public readonly Option<string?> TdnnContext = new("--tdnn-context")
    {
        Description = "tdnn: frames before,after each output sees per layer, in units of the layer's dilation (default 2,2; 2,0 is causal).",
    };
    public readonly Option<string?> TdnnDilations = new("--tdnn-dilations")
    {
        Description = "tdnn: the dilation of each layer, comma-separated, one per layer (default 1,2,4,… doubling).",
    };

    public IEnumerable<Option> All => [ClockPeriods, TdnnContext, TdnnDilations];

    /// <summary>The periods and window the command line gives for <paramref name="cell"/>; a flag that does not fit the cell is a usage error.</summary>
    public (IReadOnlyList<int>? Periods, TimeDelayWindow? Window) Read(ParseResult parse, CellKind cell)
    {
        string? periods = parse.GetValue(ClockPeriods), context = parse.GetValue(TdnnContext), dilations = parse.GetValue(TdnnDilations);
        if (periods is not null && !cell.HasClock()) throw new UsageException($"--clock-periods goes with --cell clockwork or timescales, not {cell.ToCliName()}.");
        if ((context ?? dilations) is not null && cell != CellKind.TimeDelay)
            throw new UsageException($"{(context is not null ? "--tdnn-context" : "--tdnn-dilations")} goes with --cell tdnn, not {cell.ToCliName()}.");
        TimeDelayWindow? window = null;
        if (context is not null || dilations is not null)
        {
            var (before, after) = (2, 2);
            if (context is not null)
            {
                var pair = Integers("--tdnn-context", context);
                if (pair.Length != 2) throw new UsageException($"--tdnn-context takes two numbers, before,after (such as 2,2), got '{context}'.");
                (before, after) = (pair[0], pair[1]);
            }
            window = new TimeDelayWindow(before, after, dilations is null ? null : Integers("--tdnn-dilations", dilations));
        }
        return (periods is null ? null : Integers("--clock-periods", periods), window);
    }

    private static int[] Integers(string flag, string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[i]))
                throw new UsageException($"{flag} takes comma-separated whole numbers, got '{text}'.");
        return values;
    }
}
