using Carousel.IO;
using System.Text.Json.Serialization;
using Carousel.Data.Tagging;

namespace Carousel.Training.Tagging;

/// <summary>
/// Where a tagger's examples come from, saved with the model so that eval and predict read input the same way:
/// "truecase" (plain text, cut into blocks of at most <see cref="MaxLength"/> characters) or "jsonl"
/// (JSON lines with <see cref="TextField"/> and <see cref="TagsField"/>).
/// </summary>
/// <param name="KeyLabel">The label whose F1 selects the best model and heads the report ("upper" for
/// truecasing); null: character accuracy.</param>
public sealed record TaggingTask(string Kind, string TextField = "text", string TagsField = "tags",
    TagsFormat Format = TagsFormat.String, int MaxLength = 256, string? KeyLabel = null)
{
    public const string Truecase = "truecase";
    public const string JsonLines = "jsonl";

    [JsonIgnore]
    public bool IsTruecasing => Kind == Truecase;

    public static TaggingTask ForTruecasing(int maxLength) => new(Truecase, MaxLength: maxLength, KeyLabel: Truecasing.Upper);
}
