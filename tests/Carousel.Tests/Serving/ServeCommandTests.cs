using Carousel.Serving;
using Carousel.Tests.Cli;
using Carousel.Training;

namespace Carousel.Tests.Serving;

/// <summary>`carousel serve` at start-up: a checkpoint it cannot serve is one error naming the file, before anything listens.</summary>
[Collection(CliCollection.Name)]
public sealed class ServeCommandTests(ServedModels served) : IClassFixture<ServedModels>
{
    [Fact]
    public void ATruncatedCheckpointStopsTheStartNamingTheFile()
    {
        using var scratch = new TempDirectory();
        string dir = scratch.File("broken");
        ServedModels.CopyDirectory(Path.Combine(served.Models, "classify"), dir);
        string file = Path.Combine(dir, ModelCheckpoint.FileName);
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length / 2)]);

        var (code, output, error) = CliRunner.Run("serve", Path.Combine(served.Models, "char"), dir, "--port", "0");
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains(file, error);
        Assert.Single(error.Trim().Split('\n'));
        Assert.DoesNotContain("Serving", output);
    }

    [Fact]
    public void AFileThatIsNoCarouselCheckpointIsNamed()
    {
        string weightsOnly = Path.Combine(served.Models, "char", ModelCheckpoint.WeightsFileName); // PyTorch's state dict, no kind
        var e = Assert.Throws<InvalidDataException>(() => CarouselServer.Create(new ServeOptions { ModelPaths = [weightsOnly] }));
        Assert.Contains(weightsOnly, e.Message);
        Assert.Contains("not a checkpoint the server can serve", e.Message);
    }

    [Theory]
    [InlineData("Nothing to serve", 2)]
    [InlineData("Give either --urls or --host/--port", 2, "MODELS", "--urls", "http://127.0.0.1:0", "--port", "5000")]
    [InlineData("--max-length must be at least 1, got 0", 2, "MODELS", "--max-length", "0")]
    [InlineData("No checkpoint or directory at", 1, "absent-dir")]
    [InlineData("No runs directory at", 1, "MODELS", "--runs", "absent-runs")]
    public void ABadCommandLineIsOneErrorLine(string message, int exitCode, params string[] args)
    {
        var (code, _, error) = CliRunner.Run(["serve", .. args.Select(a => a == "MODELS" ? served.Models : a)]);
        Assert.Equal(exitCode, code);
        Assert.Contains(message, error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
