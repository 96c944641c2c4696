using Carousel.IO;
using Carousel.Tensors;

namespace Carousel.Tests.IO;

public sealed class StateDictTests : IDisposable
{
    private readonly TempDirectory directory = new();

    public void Dispose() => directory.Dispose();

    private static Parameter Filled(string name, float value, params int[] shape)
    {
        var parameter = new Parameter(name, new Tensor(shape));
        parameter.Value.AsSpan().Fill(value);
        return parameter;
    }

    private static float[] Values(Parameter parameter) => (float[])parameter.Value.Data.Clone();

    [Fact]
    public void SaveThenLoadRestoresValuesAndMarksParametersChanged()
    {
        var weight = new Parameter("weight_ih_l0", new Tensor([1f, 2f, 3f, 4f, 5f, 6f], 2, 3));
        var bias = new Parameter("bias_ih_l0", new Tensor([-1f, 0.5f], 2));
        string path = directory.File("model.safetensors");
        StateDict.Save(path, new[] { weight, bias }.Prefixed("rnn."), new Dictionary<string, string> { ["cell"] = "lstm" });

        var loadedWeight = Filled("weight_ih_l0", 0f, 2, 3);
        var loadedBias = Filled("bias_ih_l0", 0f, 2);
        var result = StateDict.Load(path, new[] { loadedWeight, loadedBias }.Prefixed("rnn."));

        Assert.Equal(weight.Value.Data, loadedWeight.Value.Data);
        Assert.Equal(bias.Value.Data, loadedBias.Value.Data);
        Assert.Equal(1, loadedWeight.Version);
        Assert.Equal(1, loadedBias.Version);
        Assert.Empty(result.MissingNames);
        Assert.Empty(result.UnexpectedNames);

        var file = SafeTensors.Read(path);
        Assert.Equal(["rnn.weight_ih_l0", "rnn.bias_ih_l0"], file.Names);
        Assert.All(file.Entries, e => Assert.Equal(SafeTensorsDType.Float32, e.DType));
        Assert.Equal("lstm", file.Metadata["cell"]);
    }

    [Fact]
    public void ShapeMismatchNamesTheParameterAndBothShapes()
    {
        string path = directory.File("wide.safetensors");
        StateDict.Save(path, [("rnn.weight_ih_l0", Filled("w", 1f, 28, 5))]);
        var model = Filled("w", 7f, 28, 6);

        var error = Assert.Throws<InvalidDataException>(() => StateDict.Load(path, [("rnn.weight_ih_l0", model)]));

        Assert.Contains("rnn.weight_ih_l0: file has [28, 5], model expects [28, 6]", error.Message);
        Assert.StartsWith(path, error.Message);
        Assert.All(model.Value.Data, v => Assert.Equal(7f, v));
        Assert.Equal(0, model.Version);
    }

    [Fact]
    public void StrictLoadReportsAllMissingAndUnexpectedNamesTogether()
    {
        string path = directory.File("other.safetensors");
        StateDict.Save(path, [("b", Filled("b", 1f, 1)), ("d", Filled("d", 1f, 1)), ("e", Filled("e", 1f, 1))]);
        var b = Filled("b", 0f, 1);

        var error = Assert.Throws<InvalidDataException>(() =>
            StateDict.Load(path, [("a", Filled("a", 0f, 1)), ("b", b), ("c", Filled("c", 0f, 1))]));

        Assert.Contains("missing from the file: a, c", error.Message);
        Assert.Contains("unexpected in the file: d, e", error.Message);
        Assert.Equal([0f], b.Value.Data);
    }

    [Fact]
    public void NonStrictLoadSkipsMissingAndUnexpectedNamesAndReportsThem()
    {
        string path = directory.File("partial.safetensors");
        StateDict.Save(path, [("b", Filled("b", 2f, 3)), ("d", Filled("d", 1f, 1))]);
        var a = Filled("a", 5f, 1);
        var b = Filled("b", 0f, 3);

        var result = StateDict.Load(path, [("a", a), ("b", b)], strict: false);

        Assert.Equal(["a"], result.MissingNames);
        Assert.Equal(["d"], result.UnexpectedNames);
        Assert.Equal([5f], a.Value.Data);
        Assert.Equal(0, a.Version);
        Assert.Equal([2f, 2f, 2f], b.Value.Data);
        Assert.Equal(1, b.Version);
    }

    [Fact]
    public void NonStrictLoadStillRejectsShapeMismatches()
    {
        string path = directory.File("mismatch.safetensors");
        StateDict.Save(path, [("w", Filled("w", 1f, 4))]);

        var error = Assert.Throws<InvalidDataException>(() => StateDict.Load(path, [("w", Filled("w", 0f, 2, 2))], strict: false));

        Assert.Contains("w: file has [4], model expects [2, 2]", error.Message);
    }

    [Fact]
    public void LoadIsAllOrNothing()
    {
        // The first parameter fits; the second does not. The first must not be loaded either.
        string path = directory.File("half-good.safetensors");
        StateDict.Save(path, [("first", Filled("first", 1f, 3)), ("second", Filled("second", 1f, 5))]);
        var first = Filled("first", 9f, 3);
        var second = Filled("second", 9f, 4);
        float[] firstBefore = Values(first), secondBefore = Values(second);

        var error = Assert.Throws<InvalidDataException>(() => StateDict.Load(path, [("first", first), ("second", second)]));

        Assert.Contains("second: file has [5], model expects [4]", error.Message);
        Assert.Equal(firstBefore, first.Value.Data);
        Assert.Equal(secondBefore, second.Value.Data);
        Assert.Equal(0, first.Version);
        Assert.Equal(0, second.Version);
    }

    [Fact]
    public void EveryProblemIsListedInOneMessage()
    {
        string path = directory.File("many-problems.safetensors");
        SafeTensors.Write(path,
        [
            SafeTensorsWriteEntry.FromFloats("x", [1f, 2f], 2),
            SafeTensorsWriteEntry.FromFloats("y", [1f], 1),
            SafeTensorsWriteEntry.FromInt64s("z", [1], 1),
            SafeTensorsWriteEntry.FromFloats("extra", [1f], 1),
        ]);

        var error = Assert.Throws<InvalidDataException>(() => StateDict.Load(path,
            [("x", Filled("x", 0f, 3)), ("y", Filled("y", 0f, 1, 1)), ("z", Filled("z", 0f, 1)), ("gone", Filled("gone", 0f, 1))]));

        Assert.Contains("x: file has [2], model expects [3]", error.Message);
        Assert.Contains("y: file has [1], model expects [1, 1]", error.Message);
        Assert.Contains("z: file has dtype I64", error.Message);
        Assert.Contains("missing from the file: gone", error.Message);
        Assert.Contains("unexpected in the file: extra", error.Message);
    }

    [Fact]
    public void Float64InTheFileIsConverted()
    {
        string path = directory.File("double.safetensors");
        SafeTensors.Write(path, [SafeTensorsWriteEntry.FromDoubles("w", [0.1, -1e30, 2.5], 3)]);
        var w = Filled("w", 0f, 3);

        StateDict.Load(path, [("w", w)]);

        Assert.Equal([0.1f, -1e30f, 2.5f], w.Value.Data);
    }

    /// <summary>A NaN or infinite weight (here a double beyond float's range) is refused, naming the tensor; nothing is loaded.</summary>
    [Theory]
    [InlineData(-1e40)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void NonFiniteWeightsAreRefusedNamingTheTensor(double bad)
    {
        string path = directory.File("bad.safetensors");
        SafeTensors.Write(path, [SafeTensorsWriteEntry.FromDoubles("a", [1, 2], 2), SafeTensorsWriteEntry.FromDoubles("w", [0.1, bad, 2.5], 3)]);
        var a = Filled("a", 0f, 2);
        var w = Filled("w", 0f, 3);

        var e = Assert.Throws<InvalidDataException>(() => StateDict.Load(path, [("a", a), ("w", w)]));

        Assert.Contains("w: holds", e.Message);
        Assert.Contains("element 1", e.Message);
        Assert.Equal([0f, 0f], a.Value.Data);
    }

    [Fact]
    public void DuplicateParameterNamesAreACallerError()
    {
        string path = directory.File("dup.safetensors");
        StateDict.Save(path, [("w", Filled("w", 1f, 1))]);

        Assert.Throws<ArgumentException>(() => StateDict.Load(path, [("w", Filled("w", 0f, 1)), ("w", Filled("w", 0f, 1))]));
    }

    [Fact]
    public void LoadsWeightsFromAPyTorchFile()
    {
        string golden = Path.Combine(AppContext.BaseDirectory, "fixtures", "golden", "lstm_1layer.safetensors");
        var parameters = new[]
        {
            new Parameter("weight_ih_l0", new Tensor(16, 3)), new Parameter("weight_hh_l0", new Tensor(16, 4)),
            new Parameter("bias_ih_l0", new Tensor(16)), new Parameter("bias_hh_l0", new Tensor(16)),
        };

        // The reference file also holds inputs and expected outputs, hence non-strict.
        var result = StateDict.Load(golden, parameters.Prefixed(""), strict: false);

        Assert.Empty(result.MissingNames);
        Assert.Contains("y", result.UnexpectedNames);
        Assert.Equal(-0.6988376975059509f, parameters[0].Value[0, 0]);
        Assert.Equal(0.12470827996730804f, parameters[0].Value[15, 2]);
        var file = SafeTensors.Read(golden);
        foreach (var p in parameters) Assert.Equal(file[p.Name].ToTensor().Data, p.Value.Data);
    }

    [Fact]
    public void MalformedFileIsReportedBeforeAnythingIsLoaded()
    {
        string path = directory.File("garbage.safetensors");
        File.WriteAllText(path, "not a safetensors file at all");
        var w = Filled("w", 3f, 1);

        Assert.Throws<InvalidDataException>(() => StateDict.Load(path, [("w", w)]));

        Assert.Equal([3f], w.Value.Data);
    }
}
