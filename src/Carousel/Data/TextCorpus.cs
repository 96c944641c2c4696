using System.Text;

namespace Carousel.Data;

/// <summary>
/// A text file as character ids, split into a training part (the first 1 − f) and a validation part
/// (the last f), as nanoGPT's shakespeare_char does.
/// </summary>
public sealed class TextCorpus
{
    /// <summary>The characters of the whole text, training and validation parts together.</summary>
    public CharVocabulary Vocabulary { get; }

    /// <summary>The training part as character ids: the beginning of the text.</summary>
    public int[] Train { get; }

    /// <summary>The validation part as character ids: the end of the text (empty when the fraction is 0).</summary>
    public int[] Validation { get; }

    /// <summary>A corpus from an already encoded training and validation part.</summary>
    public TextCorpus(CharVocabulary vocabulary, int[] train, int[] validation)
    {
        Vocabulary = vocabulary; Train = train; Validation = validation;
    }

    /// <summary>Reads a UTF-8 text file strictly: invalid bytes are an error naming the file, not replacement characters.</summary>
    public static string ReadText(string path)
    {
        if (Directory.Exists(path)) throw new FileNotFoundException($"'{path}' is a directory; a text file is needed.", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Text file '{path}' does not exist.", path);
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes is [0xFF, 0xFE, ..] or [0xFE, 0xFF, ..])
            throw new InvalidDataException($"Text file '{path}' is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8.");
        if (bytes.AsSpan().Contains((byte)0))
            throw new InvalidDataException($"Text file '{path}' holds NUL bytes: UTF-16 saved without a byte order mark, or not text; save it as UTF-8.");
        try
        {
            var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
            if (text.Length > 0 && text[0] == '\uFEFF') text = text[1..]; // a byte order mark is not text
            if (text.Length == 0) throw new InvalidDataException($"Text file '{path}' is empty.");
            return text;
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"Text file '{path}' is not valid UTF-8 (bad byte at offset {e.Index}).");
        }
    }

    /// <summary>
    /// Builds the vocabulary from the whole text (so validation characters are known) and splits it.
    /// Each part must hold at least <paramref name="minimumPartLength"/> characters (one window plus its target).
    /// </summary>
    public static TextCorpus FromText(string text, double validationFraction, int minimumPartLength, string source = "text")
    {
        if (!(validationFraction >= 0 && validationFraction < 1)) throw new SettingException("ValFraction", $"ValFraction must be in [0, 1), got {validationFraction}.");
        var vocabulary = CharVocabulary.FromText(text);
        var ids = vocabulary.Encode(text);
        int trainLength = (int)(ids.Length * (1 - validationFraction));
        var train = ids[..trainLength];
        var validation = ids[trainLength..];
        if (train.Length < minimumPartLength)
            throw new SettingException("SeqLength", $"The training part of {source} has {train.Length} characters; one window needs {minimumPartLength}. Use a longer text or a shorter SeqLength.");
        if (validationFraction > 0 && validation.Length < minimumPartLength)
            throw new SettingException("ValFraction", $"The validation part of {source} has {validation.Length} characters; one window needs {minimumPartLength}. Use a larger ValFraction or a shorter SeqLength.", "SeqLength");
        return new TextCorpus(vocabulary, train, validation);
    }
}
