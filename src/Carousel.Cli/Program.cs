using System.CommandLine;
using Carousel.Cli;
using Carousel.Cli.Commands;

var root = new RootCommand("Carousel: recurrent neural networks (RNN, LSTM, GRU) trained by backpropagation through time.")
{
    DemoCommand.Create(),
    CharCommands.Train(),
    CharCommands.Sample(),
    CharCommands.Eval(),
};
return CommandRunner.Invoke(root, args);
