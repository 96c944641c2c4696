using System.Text.Json;

namespace Carousel.Training;

/// <summary>Reads the best record that a trainer from before the one training loop kept in its last.safetensors.</summary>
public static class EarlierBest
{
    /// <summary>The record as <typeparamref name="T"/>, or a clear error naming the file when it does not parse.</summary>
    public static T Read<T>(string json, ModelCheckpoint file)
    {
        try { return JsonSerializer.Deserialize<T>(json, LastCheckpoint.Json) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{file.Path}: the best record is unreadable: {e.Message}"); }
    }
}
