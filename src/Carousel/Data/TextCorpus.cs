using System.Text;

namespace Carousel.Data;

/// <summary>
/// A text file as character ids, split into a training part (the first 1 − f) and a validation part
/// (the last f), as nanoGPT's shakespeare_char does.
/// </summary>
public sealed class TextCorpus
{
    public CharVocabulary Vocabulary { get; }
    public int[] Train { get; }
    public int[] Validation { get; }

    public TextCorpus(CharVocabulary vocabulary, int[] train, int[] validation)
    {
        Vocabulary = vocabulary; Train = train; Validation = validation;
    }

    /// <summary>Reads a UTF-8 text file strictly: invalid bytes are an error naming the file, not replacement characters.</summary>
    public static string ReadText(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Text file '{path}' does not exist.", path);
        byte[] bytes = File.ReadAllBytes(path);
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
