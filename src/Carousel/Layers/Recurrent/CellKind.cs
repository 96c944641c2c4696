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
}

/// <summary>What each <see cref="CellKind"/> carries (gate blocks, memory cell, forget gate, peepholes) and its command-line name.</summary>
public static class CellKinds
{
    /// <summary>The names <see cref="Parse"/> accepts, for help texts and error messages.</summary>
    public const string CliNames = "lstm, lstm-nofg (lstm1997), lstm-peephole, gru, rnn (tanh) or rnn-relu";

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
        _ => "rnn-relu",
    };
}
