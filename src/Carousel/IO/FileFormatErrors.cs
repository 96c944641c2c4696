namespace Carousel.IO;

/// <summary>
/// Every unusable input file (malformed, truncated, hostile, or not fitting the model) is reported as an
/// <see cref="InvalidDataException"/> whose message starts with the file's name, so the CLI and callers handle all
/// bad-input files with one catch. (InvalidDataException is sealed, hence one type rather than a family.)
/// </summary>
internal static class FileFormatErrors
{
    public static InvalidDataException Create(string sourceName, string problem, Exception? innerException = null) =>
        new($"{sourceName}: {problem}", innerException);
}
