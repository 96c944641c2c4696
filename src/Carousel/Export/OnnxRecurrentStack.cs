using Carousel.Layers.Recurrent;
using Carousel.Tensors;
using static Carousel.Export.OnnxGraphBuilder;

namespace Carousel.Export;

/// <summary>The values a recurrent stack leaves in a graph: output [T, B, D·H], final h (and c) [L·D, B, H], top layer's h [D, B, H].</summary>
internal sealed record OnnxStackOutput(string Output, string FinalH, string? FinalC, string TopH, string? TopC);

/// <summary>
/// A <see cref="RecurrentStack"/> as ONNX's own recurrent operators: one LSTM, GRU or RNN node per layer, both directions
/// in one node (direction = "bidirectional"), time-major (layout = 0). PyTorch's weights are regrouped into ONNX's gate
/// order — LSTM i, f, g, o → i, o, f, c; GRU r, z, n → z, r, h with linear_before_reset = 1, which is PyTorch's
/// n = tanh(x W_in + b_in + r ⊙ (h W_hn + b_hn)) — and the peephole LSTM's weight_ci, weight_cf, weight_co go to P as
/// [i, o, f]. sequence_lens carries the lengths of a padded batch: ONNX, like Carousel, keeps each sequence's state
/// through its padding, writes zeros there and starts the reverse direction at each sequence's own last step.
/// The 1997 LSTM without forget gate, for which ONNX has no operator, becomes Scan loops (<see cref="OnnxScanLstm"/>).
/// </summary>
internal static class OnnxRecurrentStack
{
    /// <summary>Why a stack cannot be exported exactly, or null when it can.</summary>
    public static string? Unsupported(RecurrentOptions options)
    {
        if (options.Cell.HasClock() || options.Cell == CellKind.TimeDelay)
            return $"A {options.Cell.ToCliName()} stack cannot be exported yet: ONNX's recurrent operators have no clock or time-delay window.";
        if (options.InitialState == InitialStateMode.Learned)
            return "A stack with a learned initial state cannot be exported yet: ONNX's recurrent operators start from zeros or a given state.";
        return null;
    }

    /// <summary>
    /// Adds the stack to the graph over x [T, B, In]. <paramref name="lengths"/> is an int32 [B] or null (every sequence T
    /// steps); <paramref name="initialH"/>, <paramref name="initialC"/> are [L·D, B, H] values or null for zeros.
    /// </summary>
    public static OnnxStackOutput Add(OnnxGraphBuilder g, string stem, RecurrentStack stack, string x, string? lengths,
        string? initialH = null, string? initialC = null)
    {
        var o = stack.Options;
        if (Unsupported(o) is { } reason) throw new NotSupportedException(reason);
        int L = o.Layers, D = o.Directions, H = o.HiddenSize;
        bool hasCell = o.Cell.HasCellState();
        var byName = stack.Parameters().ToDictionary(p => p.Name, p => p.Value);
        string input = x;
        var finalH = new List<string>();
        var finalC = new List<string>();
        // The 1997 LSTM has no ONNX operator (ONNX's LSTM always has a forget gate): its layers are Scan loops instead.
        string? stepMask = o.Cell == CellKind.LstmNoForgetGate && lengths is not null ? g.Unsqueeze(g.StepMask(x, 0, lengths), 2) : null;
        for (int k = 0; k < L; k++)
        {
            string layer = $"{stem}.l{k}";
            var directions = Enumerable.Range(0, D).Select(d => $"l{k}" + (d == 1 ? "_reverse" : "")).ToArray();
            if (o.Cell == CellKind.LstmNoForgetGate)
            {
                var (scanY, scanH, scanC) = OnnxScanLstm.AddLayer(g, layer, directions, byName, H, input, stepMask,
                    initialH is null ? null : LayerSlice(g, initialH, k * D, D), initialC is null ? null : LayerSlice(g, initialC, k * D, D));
                finalH.Add(scanH);
                finalC.Add(scanC);
                input = scanY;
                continue;
            }
            int inputSize = byName["weight_ih_" + directions[0]].Dim(1);
            int G = o.Cell.GateCount();
            string w = g.Weight(layer + ".W", Stack(directions, s => Regroup(o.Cell, byName["weight_ih_" + s], H)), D, G * H, inputSize);
            string r = g.Weight(layer + ".R", Stack(directions, s => Regroup(o.Cell, byName["weight_hh_" + s], H)), D, G * H, H);
            string b = g.Weight(layer + ".B", Stack(directions, s =>
                [.. Regroup(o.Cell, byName["bias_ih_" + s], H), .. Regroup(o.Cell, byName["bias_hh_" + s], H)]), D, 2 * G * H);
            string p = "";
            if (o.Cell == CellKind.LstmPeephole)
                p = g.Weight(layer + ".P", Stack(directions, s =>
                    [.. byName["weight_ci_" + s].Data, .. byName["weight_co_" + s].Data, .. byName["weight_cf_" + s].Data]), D, 3 * H);
            string h0 = initialH is null ? "" : LayerSlice(g, initialH, k * D, D);
            string c0 = initialC is null ? "" : LayerSlice(g, initialC, k * D, D);

            string y = g.Fresh(layer + ".Y"), yh = g.Fresh(layer + ".Y_h"), yc = hasCell ? g.Fresh(layer + ".Y_c") : "";
            var attributes = new List<Onnx.AttributeProto>
            {
                Attribute("hidden_size", H),
                Attribute("direction", D == 2 ? "bidirectional" : "forward"),
                Attribute("layout", 0),
            };
            string op;
            switch (o.Cell)
            {
                case CellKind.Lstm or CellKind.LstmPeephole:
                    op = "LSTM";
                    break;
                case CellKind.Gru:
                    op = "GRU";
                    attributes.Add(Attribute("linear_before_reset", 1));
                    break;
                default:
                    op = "RNN";
                    string f = o.Cell == CellKind.RnnRelu ? "Relu" : "Tanh";
                    attributes.Add(Attribute("activations", D == 2 ? [f, f] : new[] { f }));
                    break;
            }
            string[] inputs = op == "LSTM" ? [input, w, r, b, lengths ?? "", h0, c0, p] : [input, w, r, b, lengths ?? "", h0];
            g.Node(op, TrimOptional(inputs), hasCell ? [y, yh, yc] : [y, yh], [.. attributes]);
            finalH.Add(yh);
            if (hasCell) finalC.Add(yc);
            // Y [T, D, B, H] → [T, B, D·H], the directions side by side as Carousel's [fwd, bwd].
            input = D == 1 ? g.Squeeze(y, 1) : g.Reshape(g.Transpose(y, 0, 2, 1, 3), 0, 0, -1);
        }
        string allH = L == 1 ? finalH[0] : g.Op("Concat", stem + ".h", [.. finalH], Attribute("axis", 0));
        string? allC = !hasCell ? null : L == 1 ? finalC[0] : g.Op("Concat", stem + ".c", [.. finalC], Attribute("axis", 0));
        return new OnnxStackOutput(input, allH, allC, finalH[^1], hasCell ? finalC[^1] : null);
    }

    /// <summary>
    /// A [G·H, ...] weight or [G·H] bias with its gate blocks in ONNX's order: LSTM i, o, f, c from PyTorch's
    /// i, f, g, o (blocks 0, 3, 1, 2); GRU z, r, h from r, z, n (blocks 1, 0, 2); RNN as is.
    /// </summary>
    internal static float[] Regroup(CellKind cell, Tensor weight, int hidden)
    {
        int[] order = cell switch
        {
            CellKind.Lstm or CellKind.LstmPeephole => [0, 3, 1, 2],
            CellKind.Gru => [1, 0, 2],
            _ => [0],
        };
        int block = weight.Length / order.Length;   // H rows of the block × columns
        if (weight.Dim(0) != order.Length * hidden) throw new ArgumentException($"Expected {order.Length}·{hidden} gate rows, got {weight}.");
        var result = new float[weight.Length];
        for (int i = 0; i < order.Length; i++) weight.Data.AsSpan(order[i] * block, block).CopyTo(result.AsSpan(i * block, block));
        return result;
    }

    // The directions' arrays one after the other: [D, ...].
    private static float[] Stack(string[] directions, Func<string, float[]> of) => [.. directions.SelectMany(of)];

    // state [L·D, B, H] → the D entries of one layer [D, B, H]
    internal static string LayerSlice(OnnxGraphBuilder g, string state, int first, int count) =>
        g.Op("Slice", state + "_layer", [state, g.Int64s("starts", [first]), g.Int64s("ends", [first + count]), g.Int64s("axes", [0])]);

    // Optional inputs left out at the end are dropped, as ONNX prefers; inner ones stay as "".
    private static string[] TrimOptional(string[] inputs)
    {
        int n = inputs.Length;
        while (n > 0 && inputs[n - 1] == "") n--;
        return inputs[..n];
    }
}
