using Carousel.IO;
using Carousel.Training;
using Carousel.Training.Char;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;
using Carousel.Training.Tagging;

namespace Carousel.Serving;

/// <summary>
/// The models a server holds, by name. Each path given is a checkpoint file, a training directory (holding
/// checkpoint.safetensors), or a directory of training directories (each subdirectory with a checkpoint is served).
/// Every checkpoint is loaded at start-up, whatever its kind; one that cannot be read stops the start with an error
/// naming its file, so a server never runs with fewer models than it was given.
/// </summary>
public sealed class ModelCatalog
{
    private readonly Dictionary<string, ServedModel> _models = new(StringComparer.Ordinal);
    private readonly List<ServedModel> _ordered = [];

    /// <summary>The models in the order they were given.</summary>
    public IReadOnlyList<ServedModel> Models => _ordered;

    /// <summary>The model of that name, or null.</summary>
    public ServedModel? Find(string name) => _models.GetValueOrDefault(name);

    /// <summary>Loads every checkpoint under <paramref name="paths"/>; a missing path or a bad checkpoint is an exception naming it.</summary>
    public static ModelCatalog Load(IEnumerable<string> paths)
    {
        var catalog = new ModelCatalog();
        foreach (var path in paths)
        {
            var files = CheckpointsUnder(path);
            foreach (var file in files) catalog.Add(LoadOne(file, catalog.UniqueName(NameOf(file))));
        }
        return catalog;
    }

    private static List<string> CheckpointsUnder(string path)
    {
        if (File.Exists(path)) return [Path.GetFullPath(path)];
        if (!Directory.Exists(path)) throw new FileNotFoundException($"No checkpoint or directory at '{path}'.", path);
        string own = ModelCheckpoint.Resolve(path);
        if (File.Exists(own)) return [Path.GetFullPath(own)];
        var found = Directory.EnumerateDirectories(path).Order(StringComparer.Ordinal)
            .Select(d => Path.Combine(d, ModelCheckpoint.FileName)).Where(File.Exists).Select(Path.GetFullPath).ToList();
        if (found.Count == 0)
            throw new InvalidDataException($"{path}: holds no {ModelCheckpoint.FileName}, nor do its subdirectories.");
        return found;
    }

    /// <summary>Reads a checkpoint of any kind that has an API: the format in its metadata says which loader to use.</summary>
    private static ServedModel LoadOne(string file, string name)
    {
        SafeTensors.Read(file).Metadata.TryGetValue("format", out var format);
        string kind = format is not null && format.StartsWith("carousel.", StringComparison.Ordinal) ? format["carousel.".Length..] : "";
        try
        {
            return kind switch
            {
                CharCheckpoint.Kind or CharCheckpoint.EarlierKind => new ServedCharModel(name, file, CharCheckpoint.Load(file)),
                ClassifierCheckpoint.Kind => new ServedClassifier(name, file, ClassifierCheckpoint.Load(file)),
                TaggerCheckpoint.Kind => new ServedTagger(name, file, TaggerCheckpoint.Load(file)),
                GeneratorCheckpoint.Kind => new ServedGenerator(name, file, GeneratorCheckpoint.Load(file)),
                Seq2SeqCheckpoint.Kind => new ServedSeq2Seq(name, file, Seq2SeqCheckpoint.Load(file)),
                _ => throw new InvalidDataException($"{file}: not a checkpoint the server can serve ({(format is null ? "no format" : $"format '{format}'")})."),
            };
        }
        catch (Exception e) when (e is ArgumentException or System.Text.Json.JsonException or FormatException)
        {
            throw new InvalidDataException($"{file}: unusable checkpoint: {e.Message}", e);
        }
    }

    // A training directory's name (runs/names/checkpoint.safetensors → "names"); a lone file's name without extension.
    private static string NameOf(string file)
    {
        string stem = Path.GetFileNameWithoutExtension(file);
        string? dir = Path.GetFileName(Path.GetDirectoryName(file));
        string name = stem == Path.GetFileNameWithoutExtension(ModelCheckpoint.FileName) && !string.IsNullOrEmpty(dir) ? dir : stem;
        return new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')]);
    }

    // Two runs of the same name (runs/a/x and runs/b/x) are served as x and x-2.
    private string UniqueName(string name)
    {
        string unique = name;
        for (int n = 2; _models.ContainsKey(unique); n++) unique = $"{name}-{n}";
        return unique;
    }

    private void Add(ServedModel model)
    {
        _models[model.Name] = model;
        _ordered.Add(model);
    }
}
