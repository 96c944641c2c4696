namespace Carousel.Layers.Recurrent;

/// <summary>The recurrent cell types, with PyTorch's formulas and gate order.</summary>
/// <remarks>New kinds go at the end: checkpoint options store a kind by its number.</remarks>
public enum CellKind
{
    /// <summary>Elman RNN, h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).</summary>
    RnnTanh,
    /// <summary>Elman RNN with ReLU instead of tanh.</summary>
    RnnRelu,
    /// <summary>LSTM with forget gate (PyTorch's nn.LSTM); gates i, f, g, o.</summary>
    Lstm,
    /// <summary>GRU (PyTorch's nn.GRU); gates r, z, n.</summary>
    Gru,
    /// <summary>
    /// The LSTM of Hochreiter &amp; Schmidhuber (1997) without forget gate, written with tanh as usual:
    /// gates i, g, o (PyTorch's order with f left out), c' = c + i⊙g, h' = o⊙tanh(c').
    /// </summary>
    LstmNoForgetGate,
    /// <summary>
    /// LSTM with forget gate and peephole connections (Gers, Schraudolph &amp; Schmidhuber 2002): gates i, f, g, o as
    /// <see cref="Lstm"/>, plus diagonal cell-to-gate weights: i and f see c, o sees the new c'.
    /// </summary>
    LstmPeephole,
    /// <summary>
    /// Clockwork RNN (Koutník, Greff, Gomez &amp; Schmidhuber 2014): an Elman tanh RNN whose H units form M equal modules
    /// with periods T_1 &lt; … &lt; T_M (<see cref="RecurrentOptions.ClockPeriods"/>). At step t only the modules with
    /// t mod T_i = 0 compute h' = tanh(·); the others keep their state. W_hh is block-upper-triangular: module i reads
    /// the modules j ≥ i (itself and the slower ones). See ClockworkUpdate for the formulas.
    /// </summary>
    Clockwork,
    /// <summary>
    /// Multi-timescale RNN after El Hihi &amp; Bengio (1996): as <see cref="Clockwork"/> (groups of units with periods,
    /// slower groups updated less often and keeping their state in between) but every group reads every group (full W_hh).
    /// </summary>
    Timescales,
    /// <summary>
    /// Time-delay neural network layer (Waibel et al. 1989), which takes a cell's place in a stack: not recurrent, each
    /// output step sees a dilated window of input frames (<see cref="RecurrentOptions.TimeDelay"/>), y = relu(conv1d(x)).
    /// </summary>
    TimeDelay,
}

/// <summary>What each <see cref="CellKind"/> carries (gate blocks, memory cell, forget gate, peepholes) and its command-line name.</summary>
public static class CellKinds
{
    /// <summary>The names <see cref="Parse"/> accepts, for help texts and error messages.</summary>
    public const string CliNames = "lstm, lstm-nofg (lstm1997), lstm-peephole, gru, rnn (tanh), rnn-relu, clockwork, timescales or tdnn";

    /// <summary>Number of gate blocks of size H stacked in weight_ih / weight_hh.</summary>
    public static int GateCount(this CellKind cell) => cell switch
    {
        CellKind.Lstm or CellKind.LstmPeephole => 4,
        CellKind.Gru or CellKind.LstmNoForgetGate => 3,
        _ => 1,
    };

    /// <summary>Whether the cell carries a memory cell c besides h.</summary>
    public static bool HasCellState(this CellKind cell) => cell is CellKind.Lstm or CellKind.LstmNoForgetGate or CellKind.LstmPeephole;

    /// <summary>Whether the cell has a forget gate (its bias is the block of H after the input gate's).</summary>
    public static bool HasForgetGate(this CellKind cell) => cell is CellKind.Lstm or CellKind.LstmPeephole;

    /// <summary>Whether the cell's units form modules with clock periods (<see cref="CellKind.Clockwork"/>, <see cref="CellKind.Timescales"/>).</summary>
    public static bool HasClock(this CellKind cell) => cell is CellKind.Clockwork or CellKind.Timescales;

    /// <summary>Whether the kind is recurrent (every kind but the time-delay layer).</summary>
    public static bool IsRecurrent(this CellKind cell) => cell != CellKind.TimeDelay;

    /// <summary>Number of diagonal cell-to-gate weight vectors [H] per layer and direction (i, f, o for the peephole LSTM).</summary>
    public static int PeepholeCount(this CellKind cell) => cell == CellKind.LstmPeephole ? 3 : 0;

    /// <summary>
    /// The cell a command-line name stands for (any case; see <see cref="CliNames"/>), "rnn" taking tanh or relu from
    /// <paramref name="nonlinearity"/>; an unknown name is an <see cref="ArgumentException"/> that lists the known ones.
    /// </summary>
    public static CellKind Parse(string name, string nonlinearity = "tanh") => name.ToLowerInvariant() switch
    {
        "lstm" => CellKind.Lstm,
        "gru" => CellKind.Gru,
        "rnn" or "rnn_tanh" or "rnn-tanh" or "tanh" => nonlinearity == "relu" ? CellKind.RnnRelu : CellKind.RnnTanh,
        "rnn_relu" or "rnn-relu" or "relu" => CellKind.RnnRelu,
        "lstm-nofg" or "lstm_nofg" or "lstm1997" => CellKind.LstmNoForgetGate,
        "lstm-peephole" or "lstm_peephole" or "peephole" => CellKind.LstmPeephole,
        "clockwork" or "cw-rnn" or "cwrnn" => CellKind.Clockwork,
        "timescales" or "hierarchical" => CellKind.Timescales,
        "tdnn" or "time-delay" => CellKind.TimeDelay,
        _ => throw new SettingException("Cell", $"Unknown cell '{name}': expected {CliNames}."),
    };

    /// <summary>The cell's command-line name ("lstm", "lstm-nofg", "gru", "rnn", ...), which <see cref="Parse"/> reads back.</summary>
    public static string ToCliName(this CellKind cell) => cell switch
    {
        CellKind.Lstm => "lstm",
        CellKind.Gru => "gru",
        CellKind.RnnTanh => "rnn",
        CellKind.LstmNoForgetGate => "lstm-nofg",
        CellKind.LstmPeephole => "lstm-peephole",
        CellKind.Clockwork => "clockwork",
        CellKind.Timescales => "timescales",
        CellKind.TimeDelay => "tdnn",
        _ => "rnn-relu",
    };
}
