namespace Carousel.Serving;

/// <summary>The answer of POST /tag: the text as read, one label per character, and for truecasing the text with its capitals restored.</summary>
/// <param name="Text">The text the tagger read (lowercased first for truecasing).</param>
/// <param name="Tags">One label per character of <paramref name="Text"/> (per Unicode scalar).</param>
/// <param name="Restored">Truecasing: the text with capitals restored; otherwise null.</param>
public sealed record Tagging(string Text, string[] Tags, string? Restored);
