using System.CommandLine;

namespace Carousel.Cli.Commands;

/// <summary>
/// The options of the adding-problem experiment commands (exploding, gradient-flow), declared once: --length, --hidden,
/// --batch-size and --threads. Only the defaults differ between the commands.
/// </summary>
internal sealed class AddingProblemOptions(int length, int hidden, int batchSize)
{
    public readonly Option<int> Length = new("--length") { Description = "T, the length of the adding-problem sequences (≥ 22).", DefaultValueFactory = _ => length };
    public readonly Option<int> Hidden = new("--hidden") { Description = "Hidden units.", DefaultValueFactory = _ => hidden };
    public readonly Option<int> BatchSize = new("--batch-size") { Description = "Sequences per training batch.", DefaultValueFactory = _ => batchSize };
    public readonly Option<int> Threads = new("--threads") { Description = "Threads for the matrix kernels.", DefaultValueFactory = _ => 1 };

    public IEnumerable<Option> All => [Length, Hidden, BatchSize, Threads];

    /// <summary>The --threads asked for, for the experiment's run (a count that is not positive is an error).</summary>
    public int ThreadCount(ParseResult parse) => DemoCommand.Positive(parse.GetValue(Threads), "--threads");
}
