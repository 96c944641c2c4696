using System.CommandLine;
using Carousel.Cli.Commands;

namespace Carousel.Cli;

/// <summary>The `carousel` command line: every verb, and the entry point the tests call.</summary>
public static class CarouselApp
{
    public static RootCommand CreateRoot() => new("Carousel: recurrent neural networks (RNN, LSTM, GRU) trained by backpropagation through time.")
    {
        DemoCommand.Create(),
        GradientFlowCommand.Create(),
        ExplodingCommand.Create(),
        CharCommands.Train(),
        CharCommands.Sample(),
        CharCommands.Eval(),
        TagCommands.Create(),
        BenchCommand.Create(),
        AnBnCnCommand.Create(),
        RtrlCommands.Create(),
        EsnCommands.Create(),
        ClassifyCommands.Create(),
        GenerateCommands.Create(),
        TaskCommands.Create(),
        LongLagCommand.Create(),
        GuessCommand.Create(),
        CompressorCommand.Create(),
        Seq2SeqCommands.Create(),
        ExportCommand.Create(),
        ServeCommand.Create(),
        CtcCommands.Create(),
        CompareCommand.Create(),
    };

    public static int Run(string[] args)
    {
        // Under mpirun every process runs this command; rank 0 alone speaks (errors still reach stderr from any).
        if (Distribution.LauncherRank != 0) Console.SetOut(TextWriter.Null);
        return CommandRunner.Invoke(CreateRoot(), args);
    }
}
