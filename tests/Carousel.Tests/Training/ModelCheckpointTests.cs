using Carousel.Optimizers;
using Carousel.Tensors;
using Carousel.Training;

namespace Carousel.Tests.Training;

public class ModelCheckpointTests
{
    private static (string, Parameter)[] Model(float fill)
    {
        var w = new Parameter("output.weight", new Tensor(3, 2));
        var b = new Parameter("output.bias", new Tensor(3));
        Array.Fill(w.Value.Data, fill); Array.Fill(b.Value.Data, -fill);
        return [(w.Name, w), (b.Name, b)];
    }

    [Fact]
    public void RoundTripsWeightsOptimizerStateAndMetadata()
    {
        using var dir = new TempDirectory();
        var model = Model(0.5f);
        foreach (var (_, p) in model) Array.Fill(p.Grad.Data, 1f);
        var adam = new Adam(model, 0.1f);
        adam.Step();
        ModelCheckpoint.Save(Path.Combine(dir.Path, ModelCheckpoint.FileName), "test-model/1", model, adam,
            new Dictionary<string, string> { ["labels"] = "[\"ham\",\"spam\"]" }, step: 7);

        var loaded = ModelCheckpoint.Load(dir.Path, "test-model/1");
        var fresh = Model(0f);
        loaded.LoadWeights(fresh);
        Assert.Equal(model[0].Item2.Value.Data, fresh[0].Item2.Value.Data);
        Assert.Equal(model[1].Item2.Value.Data, fresh[1].Item2.Value.Data);
        Assert.Equal(7, loaded.Step);
        Assert.Equal(1, loaded.OptimizerSteps);
        Assert.Equal(["ham", "spam"], loaded.GetJson<string[]>("labels"));
        Assert.Equal(adam.State.Keys.Order(), loaded.OptimizerState.Keys.Order());
        Assert.False(loaded.Metadata.ContainsKey("format"));
    }

    [Fact]
    public void RejectsAnotherKindMissingFilesAndForeignWeightsWithoutTouchingTheModel()
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "c.safetensors");
        ModelCheckpoint.Save(file, "sequence-tagger/1", Model(1f), null, new Dictionary<string, string>(), step: 0);

        var wrongKind = Assert.Throws<InvalidDataException>(() => ModelCheckpoint.Load(file, "sequence-classifier/1"));
        Assert.Contains("sequence-tagger/1", wrongKind.Message);
        Assert.Throws<FileNotFoundException>(() => ModelCheckpoint.Load(Path.Combine(dir.Path, "absent"), "x/1"));
        Assert.Throws<ArgumentException>(() => ModelCheckpoint.Save(file, "x/1", Model(1f), null, new Dictionary<string, string> { ["step"] = "1" }, 0));

        var loaded = ModelCheckpoint.Load(file, "sequence-tagger/1");
        var smaller = Model(2f)[..1];
        Assert.Throws<InvalidDataException>(() => loaded.LoadWeights(smaller));
        Assert.All(smaller[0].Item2.Value.Data, v => Assert.Equal(2f, v));
        var extra = new Parameter("extra", new Tensor(1));
        var larger = Model(2f).Append(("extra", extra)).ToArray();
        Assert.Throws<InvalidDataException>(() => loaded.LoadWeights(larger));
        Assert.All(larger[0].Item2.Value.Data, v => Assert.Equal(2f, v));
        Assert.Throws<InvalidDataException>(() => loaded.Get("labels"));
    }
}
