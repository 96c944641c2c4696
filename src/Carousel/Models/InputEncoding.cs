namespace Carousel.Models;

/// <summary>How a model that reads symbols feeds them to its first recurrent layer (the CLI's --input).</summary>
public enum InputEncoding
{
    /// <summary>A learned vector per symbol (embedding.weight [V, E]) is the first layer's input.</summary>
    Embedding,
    /// <summary>
    /// Each symbol as a one-hot vector of V values: no embedding matrix, and the first layer's input projection is a
    /// lookup of column id of weight_ih_l0 [G·H, V].
    /// </summary>
    OneHot,
}

/// <summary>The CLI names of <see cref="InputEncoding"/>.</summary>
public static class InputEncodings
{
    /// <summary>The names the CLI accepts.</summary>
    public const string Names = "embedding, one-hot";

    /// <summary>The value for a CLI name, or null.</summary>
    public static InputEncoding? Parse(string name) => name.ToLowerInvariant() switch
    {
        "embedding" => InputEncoding.Embedding,
        "one-hot" or "onehot" => InputEncoding.OneHot,
        _ => null,
    };

    /// <summary>The CLI name of <paramref name="input"/>.</summary>
    public static string ToCliName(this InputEncoding input) => input == InputEncoding.OneHot ? "one-hot" : "embedding";
}
