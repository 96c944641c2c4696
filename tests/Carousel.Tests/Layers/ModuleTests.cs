using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;

namespace Carousel.Tests.Layers;

/// <summary>The module contract: hierarchical PyTorch names, state dicts that load all or nothing, train/eval and dropout streams.</summary>
public class ModuleTests
{
    private static Seq2Seq Model(ulong seed) => new(new Seq2SeqConfig
    {
        SourceVocabulary = 6, TargetVocabulary = 7, Embedding = 4, EncoderHidden = 5, DecoderHidden = 6, Bidirectional = true, Attention = true, Dropout = 0.2f,
    }, new Rng(seed));

    [Fact]
    public void NamesAreHierarchicalAndUnique()
    {
        var names = Model(1).NamedParameters().Select(p => p.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Contains("encoder.weight_ih_l0_reverse", names);
        Assert.Contains("attention.linear_in.weight", names);
        Assert.Contains("output.bias", names);
        var linear = new Linear(3, 2, new Rng(1));
        Assert.Equal(["child.weight", "child.bias"], Module.Child("child", linear).Select(p => p.Name));
    }

    [Fact]
    public void AStateDictMovesAModelsWeightsToAnother()
    {
        var from = Model(1);
        var to = Model(2);
        to.LoadStateDict(from.StateDict());
        foreach (var ((name, p), (_, q)) in from.NamedParameters().Zip(to.NamedParameters()))
            Assert.True(p.Value.Data.AsSpan().SequenceEqual(q.Value.Data), name);
    }

    [Fact]
    public void LoadingIsAllOrNothing()
    {
        var from = Model(1);
        var to = Model(2);
        var before = to.StateDict();
        var state = from.StateDict();
        string last = to.NamedParameters()[^1].Name;
        state[last] = new Tensor(3, 3);           // one shape wrong, after every other tensor fits
        var e = Assert.Throws<ArgumentException>(() => to.LoadStateDict(state));
        Assert.Contains(last, e.Message);
        foreach (var (name, p) in to.NamedParameters()) Assert.True(p.Value.Data.AsSpan().SequenceEqual(before[name].Data), $"{name} changed");

        state = from.StateDict();
        state.Remove("output.bias");
        state["extra.weight"] = new Tensor(1);
        e = Assert.Throws<ArgumentException>(() => to.LoadStateDict(state));
        Assert.Contains("missing output.bias", e.Message);
        Assert.Contains("unexpected extra.weight", e.Message);
    }

    [Fact]
    public void TrainingModeSwitchesDropoutAndItsStreamsAreListed()
    {
        var model = new SequenceClassifier(new SequenceClassifierConfig(5, 2, CellKind.Gru, HiddenSize: 4, Layers: 2, Dropout: 0.5f), new Rng(3));
        IModule module = model;
        Assert.Single(module.DropoutRngs);
        var batch = Carousel.Data.PaddedBatch.From([[1, 2, 3, 4], [2, 3]], [0, 1], 0);
        module.Training = false;
        var a = (float[])model.Forward(batch).Clone();
        var b = (float[])model.Forward(batch).Clone();
        Assert.Equal(a, b);                       // evaluation: no masks
        module.Training = true;
        Assert.NotEqual(a, (float[])model.Forward(batch).Clone());
    }
}
