using Carousel.Tensors;
using static Carousel.Export.OnnxGraphBuilder;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Carousel.Export;

/// <summary>
/// One layer of the 1997 LSTM without forget gate (gates i, g, o: c' = c + i⊙g, h' = o⊙tanh(c')) exactly, as ONNX Scan
/// loops of elementary operators, since ONNX's LSTM operator always has a forget gate. As in Carousel's kernel, the input
/// projection of all steps is one MatMul before the loop; each step adds h·W_hhᵀ + b_hh and applies the gates. With a
/// step mask [T, B, 1] a padded step keeps the state and outputs zero, so the reverse direction (a Scan run backwards)
/// starts each sequence from the initial state at its own last step, as Carousel's does.
/// </summary>
internal static class OnnxScanLstm
{
    /// <summary>
    /// Adds the layer over x [T, B, In]; <paramref name="directions"/> are the weight suffixes ("l0", "l0_reverse"),
    /// <paramref name="initialH"/>, <paramref name="initialC"/> the layer's [D, B, H] or null for zeros. Returns
    /// y [T, B, D·H] and the final h, c [D, B, H].
    /// </summary>
    public static (string Y, string FinalH, string FinalC) AddLayer(OnnxGraphBuilder g, string layer, string[] directions,
        IReadOnlyDictionary<string, Tensor> byName, int hidden, string x, string? stepMask, string? initialH, string? initialC)
    {
        var ys = new List<string>();
        var hs = new List<string>();
        var cs = new List<string>();
        for (int d = 0; d < directions.Length; d++)
        {
            string s = directions[d];
            string stem = $"{layer}{(d == 1 ? "_reverse" : "")}";
            // pre [T, B, 3H] = x · W_ihᵀ + b_ih, for all steps at once.
            string pre = g.Linear(x, stem + ".input", byName["weight_ih_" + s], byName["bias_ih_" + s]);
            string h0 = initialH is null ? Zeros(g, x, hidden) : g.Op("Gather", stem + ".h0", [initialH, g.Int64s("direction", [d], scalar: true)]);
            string c0 = initialC is null ? Zeros(g, x, hidden) : g.Op("Gather", stem + ".c0", [initialC, g.Int64s("direction", [d], scalar: true)]);
            var body = Body(g, stem, byName["weight_hh_" + s], byName["bias_hh_" + s], hidden, stepMask is not null);
            string h = g.Fresh(stem + ".h"), c = g.Fresh(stem + ".c"), y = g.Fresh(stem + ".y");
            int scans = stepMask is null ? 1 : 2;
            g.Node("Scan", stepMask is null ? [h0, c0, pre] : [h0, c0, pre, stepMask], [h, c, y],
                Attribute("body", body),
                Attribute("num_scan_inputs", scans),
                Attribute("scan_input_directions", Enumerable.Repeat((long)d, scans).ToArray()),
                Attribute("scan_output_directions", [d]));
            ys.Add(y);
            hs.Add(g.Unsqueeze(h, 0));
            cs.Add(g.Unsqueeze(c, 0));
        }
        if (directions.Length == 1) return (ys[0], hs[0], cs[0]);
        return (g.Op("Concat", layer + ".y", [.. ys], Attribute("axis", 2)),
                g.Op("Concat", layer + ".h", [.. hs], Attribute("axis", 0)),
                g.Op("Concat", layer + ".c", [.. cs], Attribute("axis", 0)));
    }

    // One step: (h, c [B, H], pre_t [B, 3H], inside_t [B, 1]) → (h', c', y_t).
    private static Onnx.GraphProto Body(OnnxGraphBuilder outer, string stem, Tensor weightHh, Tensor biasHh, int hidden, bool masked)
    {
        var g = outer.Subgraph(stem + ".step");
        string h = g.Input(g.Fresh(stem + ".h_prev"), DataType.Float, "B", hidden);
        string c = g.Input(g.Fresh(stem + ".c_prev"), DataType.Float, "B", hidden);
        string pre = g.Input(g.Fresh(stem + ".pre_t"), DataType.Float, "B", 3 * hidden);
        string? inside = masked ? g.Input(g.Fresh(stem + ".inside_t"), DataType.Bool, "B", 1) : null;
        // The weights are the outer graph's initializers, read by name from inside the loop.
        string recurrent = outer.TransposedWeight(stem + ".weight_hh_t", weightHh);   // W_hhᵀ [H, 3H]
        string bias = outer.Weight(stem + ".bias_hh", biasHh.Data, biasHh.Length);
        string gates = g.Op("Add", stem + ".gates", [pre, g.Op("Add", stem + ".rec", [g.Op("MatMul", stem + ".rec", [h, recurrent]), bias])]);
        var split = g.Node("Split", [gates, g.Int64s("split", [hidden, hidden, hidden])],
            [g.Fresh(stem + ".a_i"), g.Fresh(stem + ".a_g"), g.Fresh(stem + ".a_o")], Attribute("axis", 1));
        string i = g.Op("Sigmoid", stem + ".i", [split[0]]);
        string gg = g.Op("Tanh", stem + ".g", [split[1]]);
        string o = g.Op("Sigmoid", stem + ".o", [split[2]]);
        string cNew = g.Op("Add", stem + ".c_new", [c, g.Op("Mul", stem + ".ig", [i, gg])]);   // no forget gate: the carousel
        string hNew = g.Op("Mul", stem + ".h_new", [o, g.Op("Tanh", stem + ".tanh_c", [cNew])]);
        string hOut = hNew, cOut = cNew, yOut = hNew;
        if (inside is not null)
        {
            // Past a sequence's end the state passes through and the output is zero.
            hOut = g.Op("Where", stem + ".h_kept", [inside, hNew, h]);
            cOut = g.Op("Where", stem + ".c_kept", [inside, cNew, c]);
            yOut = g.Op("Where", stem + ".y_t", [inside, hNew, g.Scalar("zero", 0f)]);
        }
        g.Output(hOut, g.Fresh(stem + ".h_next"), DataType.Float, "B", hidden);
        g.Output(cOut, g.Fresh(stem + ".c_next"), DataType.Float, "B", hidden);
        g.Output(yOut, g.Fresh(stem + ".y_out"), DataType.Float, "B", hidden);
        return g.Graph;
    }

    // Zeros [B, H], B taken from x [T, B, In].
    private static string Zeros(OnnxGraphBuilder g, string x, int hidden)
    {
        string batch = g.Unsqueeze(g.Dimension(x, 1), 0);
        return g.Op("ConstantOfShape", "zeros", [g.Op("Concat", "zeros_shape", [batch, g.Int64s("hidden", [hidden])], Attribute("axis", 0))]);
    }
}
