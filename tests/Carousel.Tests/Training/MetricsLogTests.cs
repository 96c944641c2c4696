using Carousel.Training;

namespace Carousel.Tests.Training;

public class MetricsLogTests
{
    /// <summary>
    /// On resume the lines past the position go (their work was lost); a line whose place cannot be read — not JSON,
    /// without the key, a fractional or too large number — stays where it is rather than being dropped or stopping the resume.
    /// </summary>
    [Fact]
    public void KeepsTheLinesUpToThePositionAndEveryLineItCannotPlace()
    {
        using var scratch = new TempDirectory();
        string[] kept =
        [
            """{"step":1,"loss":2.5}""", """{"step":1.5}""", """{"step":1e30}""", """{"step":99999999999999999999}""", "a note of mine",
            """{"loss":1}""", """[3]""", """{"step":"4"}""", """{"step":2}""",
        ];
        File.WriteAllLines(Path.Combine(scratch.Path, MetricsLog.FileName), [.. kept[..5], "", """{"step":3}""", .. kept[5..], """{"step":4}"""]);

        var log = new MetricsLog(scratch.Path);
        log.KeepLinesUpTo(2);
        log.Append(new { step = 3 });

        Assert.Equal([.. kept, """{"step":3}"""], File.ReadAllLines(log.FilePath));
    }
}
