using Carousel.Data;
using Carousel.IO;

namespace Carousel.Tests.IO;

public class FrameReaderTests
{
    [Fact]
    public void JsonLinesReadFramesLabelsAndTokenLists()
    {
        using var scratch = new TempDirectory();
        string path = scratch.Write("a.jsonl",
            "{\"frames\": [[1, 2], [3, 4.5], [5, 6]], \"labels\": \"121\", \"label\": \"yes\"}\n\n{\"frames\": [[0, -1]], \"labels\": [\"one\", 7]}\n");
        var sequences = FrameJsonLines.Read(path, "frames", "label", "labels");
        Assert.Equal(2, sequences.Count);
        Assert.Equal([1f, 2, 3, 4.5f, 5, 6], sequences[0].Frames);
        Assert.Equal((3, 2), (sequences[0].Steps, sequences[0].Width));
        Assert.Equal(["1", "2", "1"], sequences[0].Tokens!);
        Assert.Equal("yes", sequences[0].Label);
        Assert.Equal(["one", "7"], sequences[1].Tokens!);
        Assert.Null(sequences[1].Label);
        Assert.EndsWith(":3", sequences[1].Source); // the blank line counts
    }

    [Theory]
    [InlineData("{\"frames\": [[1, 2], [3]], \"labels\": \"1\"}", ":2: frame 1 has 1 features; the file's frames have 2.")]
    [InlineData("{\"frames\": [], \"labels\": \"1\"}", ":2: an empty sequence (no frames).")]
    [InlineData("{\"frames\": [[1, 1e999]], \"labels\": \"1\"}", ":2: frame 0, feature 1 is")]
    [InlineData("{\"frames\": [[1, \"x\"]], \"labels\": \"1\"}", ":2: frame 0, feature 1 is String, not a number.")]
    [InlineData("{\"frames\": [[1, NaN]], \"labels\": \"1\"}", ":2:")]
    [InlineData("{\"frames\": [1, 2], \"labels\": \"1\"}", ":2: frame 0 is Number; each frame must be an array of numbers.")]
    [InlineData("{\"frames\": [[1, 2]]}", ":2: missing field 'labels'")]
    public void BadLinesAreRefusedWithFileAndLine(string line, string expected)
    {
        using var scratch = new TempDirectory();
        string path = scratch.Write("bad.jsonl", "{\"frames\": [[0, 0]], \"labels\": \"1\"}\n" + line + "\n");
        var e = Assert.Throws<InvalidDataException>(() => FrameJsonLines.Read(path, tokensField: "labels", requireLabels: true));
        Assert.Contains(path + expected, e.Message);
    }

    [Fact]
    public void TheBinaryFormRoundTripsAndRefusesBrokenOffsetsAndNonFiniteValues()
    {
        using var scratch = new TempDirectory();
        var sequences = new List<FrameSequence>
        {
            new([1, 2, 3, 4, 5, 6], 3, null, ["a", "b"], "x"),
            new([7, 8, 9], 3, null, [], "y"),
        };
        string path = scratch.File("f.safetensors");
        FrameSafeTensors.Write(path, sequences);
        var read = FrameSafeTensors.ReadAny(path, null, "labels", requireLabels: true);
        Assert.Equal(2, read.Count);
        Assert.Equal(sequences[0].Frames, read[0].Frames);
        Assert.Equal(sequences[1].Frames, read[1].Frames);
        Assert.Equal(["a", "b"], read[0].Tokens!);
        Assert.Empty(read[1].Tokens!);

        string broken = scratch.File("broken.safetensors");
        SafeTensors.Write(broken, [SafeTensorsWriteEntry.FromFloats("frames", [1, 2, 3, 4], 2, 2), SafeTensorsWriteEntry.FromInt64s("offsets", [0, 2, 2], 3)]);
        Assert.Contains("#1: an empty sequence", Assert.Throws<InvalidDataException>(() => FrameSafeTensors.Read(broken)).Message);
        SafeTensors.Write(broken, [SafeTensorsWriteEntry.FromFloats("frames", [1, 2, 3, 4], 2, 2), SafeTensorsWriteEntry.FromInt64s("offsets", [0, 3], 2)]);
        Assert.Contains("'offsets' must run from 0 to the 2 frames", Assert.Throws<InvalidDataException>(() => FrameSafeTensors.Read(broken)).Message);
        SafeTensors.Write(broken, [SafeTensorsWriteEntry.FromFloats("frames", [1, float.NaN, 3, 4], 2, 2), SafeTensorsWriteEntry.FromInt64s("offsets", [0, 1, 2], 3)]);
        Assert.Contains("#0: frame 0, feature 1 is NaN", Assert.Throws<InvalidDataException>(() => FrameSafeTensors.Read(broken)).Message);
        FrameSafeTensors.Write(broken, [new([1, 2], 2, null, null, "unlabelled")]);
        Assert.Contains("#0: no label sequence", Assert.Throws<InvalidDataException>(() => FrameSafeTensors.ReadAny(broken, null, "labels", requireLabels: true)).Message);
    }

    [Fact]
    public void NormalisationScalesEachFeatureToMeanZeroAndUnitVariance()
    {
        var sequences = new List<FrameSequence>
        {
            new([1, 5, 3, 5], 2, null, null, "a"), // feature 0: 1, 3; feature 1: 5, 5 (constant)
            new([5, 5], 2, null, null, "b"),       // feature 0: 5
        };
        var n = FeatureNormalization.Fit(sequences);
        Assert.Equal(3f, n.Mean[0], 5);
        Assert.Equal((float)Math.Sqrt(8.0 / 3), n.Std[0], 5);
        Assert.Equal(5f, n.Mean[1]);
        Assert.Equal(1f, n.Std[1]); // a feature that never varies is only centred
        var scaled = n.Apply([1, 5, 3, 5, 5, 5], 2, "all");
        Assert.Equal(0, scaled[0] + scaled[2] + scaled[4], 5);
        Assert.Equal(3, scaled[0] * scaled[0] + scaled[2] * scaled[2] + scaled[4] * scaled[4], 4);
        Assert.Contains("frames of 3 features, the model reads 2", Assert.Throws<InvalidDataException>(() => n.Apply([1, 2, 3], 3, "x")).Message);
    }
}
