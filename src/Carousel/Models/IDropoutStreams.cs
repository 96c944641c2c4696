using Carousel.Tensors;

namespace Carousel.Models;

/// <summary>
/// A model whose dropout masks come from its own random generators. Their states, saved in a fixed order and
/// restored, let an interrupted training run draw the same masks as one that never stopped.
/// </summary>
public interface IDropoutStreams
{
    /// <summary>Every generator that draws dropout masks, in a fixed order.</summary>
    IReadOnlyList<Rng> DropoutRngs { get; }
}
