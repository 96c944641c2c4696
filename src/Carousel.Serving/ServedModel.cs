namespace Carousel.Serving;

/// <summary>
/// One loaded checkpoint behind the server: its name in URLs, its kind and what the page needs to offer it. A model's
/// workspaces are not shared between threads, so requests to one model take <see cref="Lock"/> in turn.
/// </summary>
public abstract class ServedModel
{
    /// <summary>The kinds a model can be, as the API names them.</summary>
    public static class Kinds
    {
        /// <summary>A character language model (sample).</summary>
        public const string Char = "char";
        /// <summary>A conditioned generator (sample, with a condition).</summary>
        public const string Generator = "generator";
        /// <summary>A sequence classifier (classify).</summary>
        public const string Classifier = "classifier";
        /// <summary>A per-character tagger (tag).</summary>
        public const string Tagger = "tagger";
        /// <summary>An encoder-decoder (predict).</summary>
        public const string Seq2Seq = "seq2seq";
    }

    /// <param name="name">The name in URLs.</param>
    /// <param name="path">The checkpoint file it was loaded from.</param>
    /// <param name="step">The training step (or epoch, for older checkpoints) its weights are from.</param>
    protected ServedModel(string name, string path, long step)
    {
        Name = name; Path = path; Step = step;
    }

    /// <summary>The name in URLs: /api/models/{Name}/….</summary>
    public string Name { get; }
    /// <summary>The checkpoint file it was loaded from.</summary>
    public string Path { get; }
    /// <summary>The training step its weights are from.</summary>
    public long Step { get; }
    /// <summary>One of <see cref="Kinds"/>.</summary>
    public abstract string Kind { get; }
    /// <summary>What the page shows and offers for this model (labels, conditions, sizes).</summary>
    public abstract IReadOnlyDictionary<string, object> Details { get; }

    /// <summary>Taken by every request that runs the model: one at a time per model.</summary>
    internal SemaphoreSlim Lock { get; } = new(1, 1);
}
