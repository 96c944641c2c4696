using Carousel.IO;

namespace Carousel.Tests.IO;

/// <summary>Files written by PyTorch + the reference safetensors library (see fixtures/golden).</summary>
public sealed class SafeTensorsGoldenFileTests
{
    private static readonly string GoldenDirectory = Path.Combine(AppContext.BaseDirectory, "fixtures", "golden");

    public static TheoryData<string> GoldenFiles()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(GoldenDirectory, "*.safetensors").Order()) data.Add(Path.GetFileName(path));
        return data;
    }

    [Fact]
    public void ThereAreGoldenFiles() => Assert.True(Directory.GetFiles(GoldenDirectory, "*.safetensors").Length >= 10);

    [Fact]
    public void ReadsLstmReferenceFile()
    {
        var file = SafeTensors.Read(Path.Combine(GoldenDirectory, "lstm_1layer.safetensors"));

        Assert.Equal("lstm", file.Metadata["cell"]);
        Assert.Equal("4", file.Metadata["hidden_size"]);
        Assert.Equal(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "x"], file.Names.Take(5));

        var weight = file["weight_ih_l0"];
        Assert.Equal(SafeTensorsDType.Float32, weight.DType);
        Assert.Equal([16, 3], weight.Shape);
        var weightValues = weight.ToTensor();
        Assert.Equal([-0.6988376975059509f, -0.3198896646499634f, 0.4093724191188812f], weightValues.Data.Take(3));
        Assert.Equal(0.12470827996730804f, weightValues.Data[^1]);

        var y = file["y"];
        Assert.Equal(SafeTensorsDType.Float64, y.DType);
        Assert.Equal([5, 2, 4], y.Shape);
        double[] yValues = y.ToDoubles();
        Assert.Equal(40, yValues.Length);
        Assert.Equal(-0.2083682695971133, yValues[0]);
        Assert.Equal(0.13343325696660627, yValues[^1]);
        Assert.Equal([-0.34469748044587833], file["loss"].ToDoubles());
    }

    [Fact]
    public void ReadsTokenIdsOfCharLanguageModelFile()
    {
        var file = SafeTensors.Read(Path.Combine(GoldenDirectory, "charlm_lstm_sgd.safetensors"));

        var inputs = file["inputs"];
        Assert.Equal(SafeTensorsDType.Int64, inputs.DType);
        Assert.Equal([10, 7, 3], inputs.Shape);
        long[] ids = inputs.ToInt64s();
        Assert.Equal([8L, 3, 10, 4, 4, 1, 6, 7, 2, 6], ids.Take(10));
        int vocabulary = int.Parse(file.Metadata["vocab"]);
        Assert.All(ids, id => Assert.InRange(id, 0, vocabulary - 1));
    }

    /// <summary>Reading a PyTorch file and writing it back must give the same bytes: the strongest check that the
    /// writer's header, padding and layout follow the reference implementation.</summary>
    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public void RewritingGoldenFileReproducesItByteForByte(string fileName)
    {
        string original = Path.Combine(GoldenDirectory, fileName);
        var file = SafeTensors.Read(original);
        using var directory = new TempDirectory();
        string copy = directory.File(fileName);

        SafeTensors.Write(copy, file.Entries.Select(entry => entry.DType switch
        {
            SafeTensorsDType.Float32 => SafeTensorsWriteEntry.FromTensor(entry.Name, entry.ToTensor()),
            SafeTensorsDType.Float64 => SafeTensorsWriteEntry.FromDoubles(entry.Name, entry.ToDoubles(), entry.Shape),
            SafeTensorsDType.Int64 => SafeTensorsWriteEntry.FromInt64s(entry.Name, entry.ToInt64s(), entry.Shape),
            _ => throw new InvalidOperationException($"Unexpected dtype in golden file: {entry}"),
        }), file.Metadata);

        Assert.Equal(File.ReadAllBytes(original), File.ReadAllBytes(copy));
    }
}
