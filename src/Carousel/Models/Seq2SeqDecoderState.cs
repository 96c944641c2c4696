using Carousel.Layers.Recurrent;
using Carousel.Tensors;

namespace Carousel.Models;

/// <summary>
/// What a <see cref="Seq2Seq"/> decoder carries from one output symbol to the next: the recurrent state h, c [Ld, N, Hd]
/// and, with input feeding, the last attentional vector h̃ [N, Hd] (zeros before the first symbol), which joins the next
/// symbol's embedding at the decoder's input.
/// </summary>
/// <param name="Recurrent">The decoder RNN's state [Ld, N, Hd].</param>
/// <param name="Feed">h̃ of the last step [N, Hd] with input feeding; null without.</param>
public sealed record Seq2SeqDecoderState(RecurrentState Recurrent, Tensor? Feed)
{
    /// <summary>A new state whose row r is row <paramref name="rows"/>[r] of this one (beam reordering).</summary>
    public Seq2SeqDecoderState Gather(int[] rows) => new(Seq2Seq.Gather(Recurrent, rows), Feed is null ? null : GatherRows(Feed, rows));

    /// <summary>The state with each row repeated K times (row b·K + k from row b).</summary>
    public Seq2SeqDecoderState Repeat(int K) => Gather(Enumerable.Range(0, Recurrent.H.Dim(1) * K).Select(r => r / K).ToArray());

    // feed [N, Hd] → [rows.Length, Hd]
    private static Tensor GatherRows(Tensor feed, int[] rows)
    {
        int H = feed.Dim(1);
        var result = new Tensor(rows.Length, H);
        for (int r = 0; r < rows.Length; r++) feed.Data.AsSpan(rows[r] * H, H).CopyTo(result.Data.AsSpan(r * H, H));
        return result;
    }
}
