using Carousel.IO;
using Carousel.Tensors;

namespace Carousel.Tests.Golden;

/// <summary>The PyTorch reference files in fixtures/golden, each run according to the kind its metadata names.</summary>
internal static class GoldenFiles
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "fixtures", "golden");

    public static IEnumerable<string> All() => Directory.GetFiles(Folder, "*.safetensors").Select(Path.GetFileName).Order()!;

    public static SafeTensorsFile Open(string name) => SafeTensors.Read(Path.Combine(Folder, name));

    /// <summary>A training case (Embedding → RNN → Linear with an optimizer) rather than a layer case.</summary>
    public static bool IsTrainingCase(SafeTensorsFile file) => file.Metadata.ContainsKey("optimizer");

    /// <summary>A layer case (one recurrent stack's outputs and gradients), which names its cell.</summary>
    public static bool IsLayerCase(SafeTensorsFile file) => file.Metadata.ContainsKey("cell") && !IsTrainingCase(file);

    /// <summary>A CTC loss case (kind "ctc").</summary>
    public static bool IsCtcCase(SafeTensorsFile file) => file.Metadata.GetValueOrDefault("kind") == "ctc";

    /// <summary>The names of the files of which <paramref name="select"/> holds.</summary>
    public static TheoryData<string> Cases(Func<SafeTensorsFile, bool> select)
    {
        var data = new TheoryData<string>();
        foreach (var name in All())
            if (select(Open(name))) data.Add(name);
        return data;
    }

    /// <summary>
    /// Every element within rtol·|expected| + atol·max(1, max|expected|): relative where values are large, and
    /// absolute against the tensor's scale where float32 rounding dominates values near zero.
    /// </summary>
    public static void AssertClose(SafeTensorsEntry expected, ReadOnlySpan<float> actual, string what, double rtol = 1e-4, double atol = 1e-5)
    {
        var e = expected.ToDoubles();
        Assert.True(e.Length == actual.Length, $"{what}: expected {e.Length} values, got {actual.Length}");
        double scale = Math.Max(1.0, e.Max(Math.Abs));
        for (int i = 0; i < e.Length; i++)
            Numerics.Close(e[i], actual[i], rtol, atol * scale, $"{what}[{i}]");
    }

    public static int Int(this SafeTensorsFile file, string key) => int.Parse(file.Metadata[key], System.Globalization.CultureInfo.InvariantCulture);

    public static Tensor? OptionalTensor(this SafeTensorsFile file, string name) => file.Contains(name) ? file[name].ToTensor() : null;
}
