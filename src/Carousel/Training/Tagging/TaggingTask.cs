using Carousel.IO;
using System.Text.Json.Serialization;
using Carousel.Data.Tagging;

namespace Carousel.Training.Tagging;

/// <summary>
/// Where a tagger's examples come from, saved with the model so that eval and predict read input the same way:
/// "truecase" (plain text, cut into blocks of at most <see cref="MaxLength"/> characters) or "jsonl"
/// (JSON lines with <see cref="TextField"/> and <see cref="TagsField"/>).
/// </summary>
/// <param name="Kind"><see cref="Truecase"/> or <see cref="JsonLines"/>.</param>
/// <param name="TextField">The JSON field holding each example's text (jsonl).</param>
/// <param name="TagsField">The JSON field holding each example's labels (jsonl).</param>
/// <param name="Format">How predict writes the labels: a string of one label character per text character, or an array.</param>
/// <param name="MaxLength">The longest block of whole lines cut from a truecasing text, in characters.</param>
/// <param name="KeyLabel">The label whose F1 selects the best model and heads the report ("upper" for
/// truecasing); null: character accuracy.</param>
public sealed record TaggingTask(string Kind, string TextField = "text", string TagsField = "tags",
    TagsFormat Format = TagsFormat.String, int MaxLength = 256, string? KeyLabel = null)
{
    /// <summary>The kind for truecasing plain text: restore the capitals of lowercased text.</summary>
    public const string Truecase = "truecase";
    /// <summary>The kind for JSON lines of texts with one label per character.</summary>
    public const string JsonLines = "jsonl";

    /// <summary>Whether the examples come from plain text to truecase.</summary>
    [JsonIgnore]
    public bool IsTruecasing => Kind == Truecase;

    /// <summary>The truecasing task: blocks of at most <paramref name="maxLength"/> characters, the model kept by the F1 of "upper".</summary>
    public static TaggingTask ForTruecasing(int maxLength) => new(Truecase, MaxLength: maxLength, KeyLabel: Truecasing.Upper);
}
