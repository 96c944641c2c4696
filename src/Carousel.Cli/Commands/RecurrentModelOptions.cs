using System.CommandLine;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Training;

namespace Carousel.Cli.Commands;

/// <summary>
/// --input, --output-dropout and --init, declared once for every train command whose model reads symbols and ends in an
/// output layer (train, classify, tag, generate), read into its <see cref="RecurrentModelSettings"/>.
/// </summary>
/// <param name="symbols">What the model reads, plural ("characters", "symbols"), for the descriptions.</param>
internal sealed class RecurrentModelOptions(string symbols)
{
    public readonly Option<string> Input = new("--input")
    {
        Description = $"embedding (a learned vector per symbol) or one-hot (no embedding: the first layer looks up columns of weight_ih_l0 for the {symbols}).",
        DefaultValueFactory = _ => "embedding",
    };
    public readonly Option<float> OutputDropout = new("--output-dropout")
    {
        Description = "Dropout before the output layer while training, also with one layer (default 0: none; --dropout acts between recurrent layers).",
        DefaultValueFactory = _ => 0f,
    };
    public readonly Option<string> Init = new("--init")
    {
        Description = $"Recurrent weights: {RecurrentInitializer.Names} (xavier and orthogonal zero the biases; orthogonal: each gate's W_hh block).",
        DefaultValueFactory = _ => "pytorch",
    };

    public IEnumerable<Option> All => [Input, OutputDropout, Init];

    /// <summary><paramref name="options"/> with the fields the command line asks for; an unknown name is a usage error.</summary>
    public T Read<T>(ParseResult parse, T options) where T : RecurrentModelSettings => (T)((RecurrentModelSettings)options with
    {
        Input = InputEncodings.Parse(parse.GetValue(Input)!) ?? throw new UsageException($"Unknown --input '{parse.GetValue(Input)}': expected {InputEncodings.Names}."),
        OutputDropout = parse.GetValue(OutputDropout),
        Init = RecurrentInitializer.Parse(parse.GetValue(Init)!) ?? throw new UsageException($"Unknown --init '{parse.GetValue(Init)}': expected {RecurrentInitializer.Names}."),
    });
}
