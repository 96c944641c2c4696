namespace Carousel.Layers.Recurrent;

/// <summary>The recurrent cell types, with PyTorch's formulas and gate order.</summary>
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
}

public static class CellKinds
{
    /// <summary>Number of gate blocks of size H stacked in weight_ih / weight_hh.</summary>
    public static int GateCount(this CellKind cell) => cell switch
    {
        CellKind.Lstm => 4,
        CellKind.Gru => 3,
        _ => 1,
    };

    /// <summary>Whether the cell carries a memory cell c besides h.</summary>
    public static bool HasCellState(this CellKind cell) => cell == CellKind.Lstm;

    public static CellKind Parse(string name, string nonlinearity = "tanh") => name.ToLowerInvariant() switch
    {
        "lstm" => CellKind.Lstm,
        "gru" => CellKind.Gru,
        "rnn" or "rnn_tanh" or "rnn-tanh" or "tanh" => nonlinearity == "relu" ? CellKind.RnnRelu : CellKind.RnnTanh,
        "rnn_relu" or "rnn-relu" or "relu" => CellKind.RnnRelu,
        _ => throw new ArgumentException($"Unknown cell '{name}': expected lstm, gru, rnn (tanh) or rnn-relu."),
    };

    public static string ToCliName(this CellKind cell) => cell switch
    {
        CellKind.Lstm => "lstm",
        CellKind.Gru => "gru",
        CellKind.RnnTanh => "rnn",
        _ => "rnn-relu",
    };
}
