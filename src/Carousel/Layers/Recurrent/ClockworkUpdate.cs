namespace Carousel.Layers.Recurrent;

/// <summary>
/// The clock of the clockwork RNN (Koutník, Greff, Gomez &amp; Schmidhuber 2014) and of the multi-timescale RNN of
/// El Hihi &amp; Bengio (1996), forward and backward side by side. The H units form M equal modules of H/M units, module i
/// with period T_i (ascending). The clock c of a step is the number of steps the sequence has already been read in the
/// direction's own order (0 at its first step: the forward direction's t, the reverse direction's length − 1 − t).
/// <code>
/// Forward, one row at clock c (a is the tanh RNN's pre-activation, computed by the direction):
///   a    = x·W_ihᵀ + b_ih + h_{t−1}·(W_hh ⊙ M)ᵀ + b_hh              [H]
///   h_t  = tanh(a)      on the units of modules with c mod T_i = 0 (active)
///   h_t  = h_{t−1}      on the units of the other modules (they keep their state)
/// Backward, dh = dL/dh_t in total [H]:
///   da        = dh ⊙ (1 − h_t²) on active units, 0 on inactive ones
///   dh_{t−1}  = da·(W_hh ⊙ M)   + dh on inactive units (their state passed through unchanged)
///   dW_hh    += (daᵀ·h_{t−1}) ⊙ M,  dW_ih += daᵀ·x,  db_ih = db_hh += da
/// M [H, H]: clockwork — block (i, j) is 1 when j ≥ i (a module reads itself and the slower modules: W_hh is
/// block-upper-triangular in the paper's order of increasing periods); timescales — all ones (every group reads every group).
/// </code>
/// The masked blocks of W_hh are kept at zero: drawn as zero, multiplied by M before the weights are packed for the
/// step products, and their gradients cleared after each backward, so an optimizer never moves them.
/// </summary>
internal sealed class ClockworkUpdate
{
    /// <summary>The periods when none are given: 1, 2, 4, 8 (four modules).</summary>
    public static readonly IReadOnlyList<int> DefaultPeriods = [1, 2, 4, 8];

    private readonly int[] _periods;   // [M] ascending
    private readonly int _moduleSize;  // H / M
    private readonly bool _triangular; // clockwork: module i reads modules j ≥ i only

    /// <summary>The clock of <paramref name="cell"/> (clockwork or timescales) over <paramref name="hidden"/> units.</summary>
    public ClockworkUpdate(CellKind cell, int hidden, IReadOnlyList<int> periods)
    {
        Validate(periods, hidden);
        _periods = [.. periods];
        _moduleSize = hidden / periods.Count;
        _triangular = cell == CellKind.Clockwork;
    }

    /// <summary>Throws a <see cref="SettingException"/> unless the periods are positive, ascending and divide the units into equal modules.</summary>
    public static void Validate(IReadOnlyList<int> periods, int hidden)
    {
        SettingException.Require(periods.Count > 0, "ClockPeriods", "ClockPeriods needs at least one period.");
        for (int i = 0; i < periods.Count; i++)
        {
            SettingException.Require(periods[i] > 0, "ClockPeriods", $"Clock periods must be positive, got {periods[i]}.");
            SettingException.Require(i == 0 || periods[i] > periods[i - 1], "ClockPeriods",
                $"Clock periods must be ascending (fastest module first), got {string.Join(",", periods)}.");
        }
        SettingException.Require(hidden % periods.Count == 0, "HiddenSize",
            $"HiddenSize {hidden} must be a multiple of the {periods.Count} clock modules (one per period).");
    }

    /// <summary>The weights of W_hh [H, H] a clockwork cell holds at zero: the blocks below the diagonal of M modules.</summary>
    public static long MaskedCount(int hidden, int modules)
    {
        long size = hidden / modules;
        return size * size * modules * (modules - 1) / 2;
    }

    /// <summary>Whether the recurrent weight from unit <paramref name="column"/> to unit <paramref name="row"/> is held at zero.</summary>
    public bool IsMasked(int row, int column) => _triangular && column / _moduleSize < row / _moduleSize;

    /// <summary>Zeroes the masked entries of <paramref name="weightHh"/> [H, H] (a weight or its gradient): W ← W ⊙ M.</summary>
    public void ApplyMask(Span<float> weightHh)
    {
        if (!_triangular) return;
        int H = _moduleSize * _periods.Length;
        for (int row = 0; row < H; row++)
            weightHh.Slice(row * H, row / _moduleSize * _moduleSize).Clear(); // the columns of faster modules
    }

    /// <summary>Whether the module <paramref name="module"/> computes at clock <paramref name="clock"/>.</summary>
    public bool IsActive(int module, int clock) => clock % _periods[module] == 0;

    /// <summary>Forward, after the tanh RNN's h = tanh(a) for the row: the inactive modules' units take back hPrev [H].</summary>
    public void KeepInactive(int clock, ReadOnlySpan<float> hPrev, Span<float> h)
    {
        for (int m = 0; m < _periods.Length; m++)
            if (!IsActive(m, clock)) hPrev.Slice(m * _moduleSize, _moduleSize).CopyTo(h.Slice(m * _moduleSize, _moduleSize));
    }

    /// <summary>
    /// Backward, after the tanh RNN's da = dh ⊙ (1 − h²) and dhPrev = 0 for the row: on the inactive modules' units da
    /// [H] becomes 0 and dhPrev [H] takes dh [H] (their state passed through).
    /// </summary>
    public void BackwardInactive(int clock, ReadOnlySpan<float> dh, Span<float> da, Span<float> dhPrev)
    {
        for (int m = 0; m < _periods.Length; m++)
        {
            if (IsActive(m, clock)) continue;
            da.Slice(m * _moduleSize, _moduleSize).Clear();
            dh.Slice(m * _moduleSize, _moduleSize).CopyTo(dhPrev.Slice(m * _moduleSize, _moduleSize));
        }
    }
}
