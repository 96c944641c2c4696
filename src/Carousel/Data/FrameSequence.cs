namespace Carousel.Data;

/// <summary>
/// One sequence of real-valued frames (a spoken utterance's MFCCs, a pen trajectory): <see cref="Steps"/> frames of
/// <see cref="Width"/> features each, row-major in <see cref="Frames"/> [T, F], with what it is labelled as, if anything.
/// </summary>
/// <param name="Frames">[T, F] the features, frame after frame.</param>
/// <param name="Width">F: features per frame.</param>
/// <param name="Label">The sequence's one label (classification), or null.</param>
/// <param name="Tokens">The label sequence it reads as (CTC: "123" as ["1", "2", "3"], or a token list), or null.</param>
/// <param name="Source">Where it came from ("file:line"), for the messages about it.</param>
public sealed record FrameSequence(float[] Frames, int Width, string? Label, string[]? Tokens, string Source)
{
    /// <summary>T: the number of frames.</summary>
    public int Steps => Frames.Length / Width;
}
