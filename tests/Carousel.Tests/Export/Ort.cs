using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Carousel.Tests.Export;

/// <summary>Runs an exported model in ONNX Runtime, the independent reader, and compares its outputs with Carousel's.</summary>
internal sealed class Ort : IDisposable
{
    /// <summary>What exported graphs must match Carousel's forward to, relative and absolute.</summary>
    public const double Tolerance = 1e-5;

    private readonly InferenceSession _session;

    public Ort(byte[] model)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        _session = new InferenceSession(model, options);
    }

    public IReadOnlyList<string> InputNames => [.. _session.InputMetadata.Keys];

    public IReadOnlyList<string> OutputNames => [.. _session.OutputMetadata.Keys];

    /// <summary>Runs with the given inputs (float[], long[] or int[] with their dims) and returns every output as floats.</summary>
    public Dictionary<string, float[]> Run(params (string Name, Array Data, int[] Dims)[] inputs)
    {
        var values = inputs.Select(i => i.Data switch
        {
            float[] f => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(f, i.Dims)),
            long[] l => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<long>(l, i.Dims)),
            int[] n => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<int>(n, i.Dims)),
            _ => throw new ArgumentException($"Unsupported input type {i.Data.GetType()}."),
        }).ToList();
        using var results = _session.Run(values);
        return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }

    public static long[] Longs(int[] ids) => [.. ids.Select(i => (long)i)];

    /// <summary>Every element within <see cref="Tolerance"/>, and the same length.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: expected {expected.Length} values, got {actual.Length}.");
        for (int i = 0; i < expected.Length; i++) Numerics.Close(expected[i], actual[i], Tolerance, Tolerance, $"{what}[{i}]");
    }

    public void Dispose() => _session.Dispose();
}
