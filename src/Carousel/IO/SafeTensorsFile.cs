using System.Collections.ObjectModel;
using System.Diagnostics.CodeAnalysis;

namespace Carousel.IO;

/// <summary>The contents of a safetensors file, validated and fully read: metadata and tensors in header order.</summary>
public sealed class SafeTensorsFile
{
    private readonly Dictionary<string, SafeTensorsEntry> entriesByName;

    internal SafeTensorsFile(string sourceName, Dictionary<string, string> metadata, List<SafeTensorsEntry> entries)
    {
        SourceName = sourceName;
        Metadata = new ReadOnlyDictionary<string, string>(metadata);
        Entries = entries.AsReadOnly();
        entriesByName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    /// <summary>The path the file was read from, or a description of the stream.</summary>
    public string SourceName { get; }

    /// <summary>The "__metadata__" strings; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensors in the order the header lists them.</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; }

    /// <summary>The tensor names in header order.</summary>
    public IEnumerable<string> Names => Entries.Select(e => e.Name);

    /// <summary>Whether the file has a tensor of this name (exact, case-sensitive).</summary>
    public bool Contains(string name) => entriesByName.ContainsKey(name);

    /// <summary>The tensor of this name, or false when the file has none.</summary>
    public bool TryGetEntry(string name, [NotNullWhen(true)] out SafeTensorsEntry? entry) => entriesByName.TryGetValue(name, out entry);

    /// <summary>The tensor of that name. A file without a tensor its reader needs is bad input, so a missing name is
    /// an <see cref="InvalidDataException"/> naming the file; use <see cref="TryGetEntry"/> for optional tensors.</summary>
    public SafeTensorsEntry this[string name] =>
        entriesByName.TryGetValue(name, out var entry)
            ? entry
            : throw FileFormatErrors.Create(SourceName, $"the file has no tensor named '{name}'.");

    /// <summary>The source and tensor count for messages, e.g. "model.safetensors (12 tensors)".</summary>
    public override string ToString() => $"{SourceName} ({Entries.Count} tensors)";
}
