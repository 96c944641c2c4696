using Carousel.IO;
using Carousel.Layers.Recurrent;
using Carousel.Tensors;
using Carousel.Tests.Layers;

namespace Carousel.Tests.Golden;

/// <summary>
/// Layer cases (rnn_*, lstm_*, gru_*): PyTorch's weights loaded by name, then outputs, final states, the
/// probe loss Σy⊙ry + Σh_n⊙rh (+ Σc_n⊙rc) and every gradient compared at a float32 tolerance.
/// </summary>
public class GoldenLayerTests
{
    public static TheoryData<string> LayerCases() => GoldenFiles.Cases(GoldenFiles.IsLayerCase);

    [Fact]
    public void EveryCellTypeHasGoldenCases()
    {
        var cells = GoldenFiles.All().Select(GoldenFiles.Open).Where(GoldenFiles.IsLayerCase).Select(f => f.Metadata["cell"]).ToHashSet();
        Assert.Superset(new HashSet<string> { "rnn", "lstm", "gru" }, cells);
    }

    [Theory]
    [MemberData(nameof(LayerCases))]
    public void MatchesPyTorch(string fileName)
    {
        var file = GoldenFiles.Open(fileName);
        var meta = file.Metadata;
        var cell = CellKinds.Parse(meta["cell"], meta.GetValueOrDefault("nonlinearity", "tanh"));
        var options = new RecurrentOptions(cell, file.Int("input_size"), file.Int("hidden_size"), file.Int("num_layers"),
            Bidirectional: meta["bidirectional"] == "true");
        var stack = new RecurrentStack(options, new Rng(0));
        var named = stack.Parameters().Select(p => (p.Name, p)).ToList();
        StateDict.Load(file, named, strict: false);

        var x = file["x"].ToTensor();
        var initial = new RecurrentState(file["h0"].ToTensor(), file.OptionalTensor("c0"));
        var (y, final) = stack.Forward(x, initial);
        GoldenFiles.AssertClose(file["y"], y.Data, $"{fileName} y");
        GoldenFiles.AssertClose(file["h_n"], final.H.Data, $"{fileName} h_n");
        if (final.C is not null) GoldenFiles.AssertClose(file["c_n"], final.C.Data, $"{fileName} c_n");

        var ry = file["ry"].ToTensor();
        var rFinal = new RecurrentState(file["rh"].ToTensor(), file.OptionalTensor("rc"));
        double loss = RecurrentProbe.Dot(y, ry) + RecurrentProbe.Dot(final.H, rFinal.H) + (final.C is null ? 0 : RecurrentProbe.Dot(final.C, rFinal.C!));
        Numerics.Close(file["loss"].ToDoubles()[0], loss, 1e-4, 1e-5, $"{fileName} loss");

        stack.Parameters().ZeroGrad();
        var gradients = stack.Backward(ry, rFinal);
        foreach (var (name, p) in named)
            GoldenFiles.AssertClose(file["grad." + name], p.Grad.Data, $"{fileName} grad.{name}");
        GoldenFiles.AssertClose(file["grad.x"], gradients.Input.Data, $"{fileName} grad.x");
        GoldenFiles.AssertClose(file["grad.h0"], gradients.Initial.H.Data, $"{fileName} grad.h0");
        if (gradients.Initial.C is not null) GoldenFiles.AssertClose(file["grad.c0"], gradients.Initial.C.Data, $"{fileName} grad.c0");
    }
}
