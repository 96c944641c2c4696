using Carousel.Kernels;
using Carousel.Tensors;

namespace Carousel.Layers.Recurrent;

/// <summary>
/// The forward-only time loop of one direction with its hidden units, not its batch, split over two threads.
/// Each half takes the gate rows of its own units (i, f, g, o of units [u0, u1)) of W_hh, packed once per weight
/// change, and at every step computes their recurrent projection for the whole batch and runs the cell kernel on
/// them; the threads meet once per step, when the next step needs the whole h. Against halving the batch this keeps
/// the GEMM's rows whole (a batch of 32 is 12 + 12 + 8 rows of the micro-kernel, halves of 16 are 12 + 4) and halves
/// the recurrent weights each core streams per step, so that at H = 256 they stay in its own cache.
/// Every number is bit for bit the one of <see cref="RecurrentDirection.Forward"/>: a GEMM element is summed in the
/// same order however the columns are split, and the cell kernel works lane by lane on halves of whole vectors.
/// </summary>
internal sealed class UnitSplitSteps : IPhaseWork
{
    private readonly CellKernel _kernel;
    private readonly bool _hasCell;
    private readonly int _hidden, _gates;
    private readonly Parameter _weightHh, _biasHh;
    private readonly Half[] _halves;
    private int _weightVersion = -1, _biasVersion = -1;

    // The chunk being run (set by Run before the phases): phase s is step done + s of the direction.
    private ReadOnlyMemory<float> _pre;          // [count·B, G·H] the chunk's input projections
    private float[][] _h = null!, _c = null!;    // 2 × [B, H] states by step parity
    private ReadOnlyMemory<float> _peepholes;    // [P·H]
    private float[] _y = null!;
    private int[]? _lengths;
    private int _batch, _done, _firstStep, _steps, _outStride, _outOffset;
    private bool _reverse;

    /// <summary>Whether the units of <paramref name="hidden"/> split into two halves of whole 16-float vectors.</summary>
    public static bool Fits(int hidden) => hidden % 32 == 0;

    public UnitSplitSteps(CellKind cell, int hidden, Parameter weightHh, Parameter biasHh)
    {
        _kernel = CellKernel.For(cell);
        _hasCell = cell.HasCellState();
        _hidden = hidden;
        _gates = cell.GateCount();
        _weightHh = weightHh;
        _biasHh = biasHh;
        int half = hidden / 2, peepholes = cell.PeepholeCount();
        _halves = [new Half(0, half, _gates, _kernel.CacheWidth(half), peepholes), new Half(half, half, _gates, _kernel.CacheWidth(half), peepholes)];
    }

    /// <summary>
    /// Runs steps [done, done + count) in processing order over batch rows [0, batch) on <paramref name="team"/>. pre
    /// [count·B, G·H] holds the input projections of time steps [firstStep, firstStep + count); after s processed steps
    /// the state is in h[s % 2], c[s % 2] [B, H]. Writes h_t into columns [outOffset, outOffset + H) of y [T, B, outStride].
    /// </summary>
    public void Run(PhaseTeam team, ReadOnlyMemory<float> pre, int batch, int done, int count, int firstStep, int steps, bool reverse,
        int[]? lengths, float[][] h, float[][] c, ReadOnlyMemory<float> peepholes, float[] y, int outStride, int outOffset)
    {
        Refresh(batch, peepholes.Span);
        (_pre, _batch, _done, _firstStep, _steps, _reverse, _lengths, _h, _c, _peepholes, _y, _outStride, _outOffset) =
            (pre, batch, done, firstStep, steps, reverse, lengths, h, c, peepholes, y, outStride, outOffset);
        for (int s = 0; s < count; s++) team.Run(s);
    }

    /// <summary>Step <paramref name="phase"/> of the chunk for the units of one half.</summary>
    public void RunPart(int phase, int part)
    {
        var half = _halves[part];
        int H = _hidden, B = _batch, n = half.Count, first = half.First, width = half.GateWidth, fullWidth = _gates * H;
        int processed = _done + phase;
        int t = _reverse ? _steps - 1 - processed : processed;
        int local = t - _firstStep;
        var hPrev = _h[processed % 2];
        var hNext = _h[(processed + 1) % 2];
        var cPrev = _c[processed % 2];
        var cNext = _c[(processed + 1) % 2];

        // rec [B, G·n] = b_hh(half) + hPrev [B, H] · W_hh(half)ᵀ, added in this order as the whole-row path does.
        var rec = half.Rec.AsSpan(0, B * width);
        for (int b = 0; b < B; b++) half.RecurrentBias.CopyTo(rec.Slice(b * width, width));
        Gemm.Multiply(1, B, hPrev, H, half.RecurrentWeights!, rec, width, accumulate: true);

        var pre = _pre.Span;
        for (int b = 0; b < B; b++)
        {
            var hPrevUnits = hPrev.AsSpan(b * H + first, n);
            var hNextUnits = hNext.AsSpan(b * H + first, n);
            var cPrevUnits = _hasCell ? cPrev.AsSpan(b * H + first, n) : default;
            var cNextUnits = _hasCell ? cNext.AsSpan(b * H + first, n) : default;
            var yUnits = _y.AsSpan((t * B + b) * _outStride + _outOffset + first, n);
            if (_lengths is null || t < _lengths[b])
            {
                // This half's gate columns of the row's input projection, gate by gate.
                var preRow = pre.Slice((local * B + b) * fullWidth, fullWidth);
                for (int g = 0; g < _gates; g++) preRow.Slice(g * H + first, n).CopyTo(half.Pre.AsSpan(g * n, n));
                _kernel.ForwardRow(n, half.Pre, rec.Slice(b * width, width), hPrevUnits, cPrevUnits, half.Peepholes,
                    half.Cache, hNextUnits, cNextUnits);
                hNextUnits.CopyTo(yUnits);
            }
            else
            {
                // Padding: the state passes through unchanged and the output is zero.
                hPrevUnits.CopyTo(hNextUnits);
                if (_hasCell) cPrevUnits.CopyTo(cNextUnits);
                yUnits.Clear();
            }
        }
    }

    // Repacks the halves' recurrent weights when W_hh or b_hh changed; sizes the per-step buffers for the batch.
    private void Refresh(int batch, ReadOnlySpan<float> peepholes)
    {
        bool weightsChanged = _weightHh.Version != _weightVersion, biasChanged = _biasHh.Version != _biasVersion;
        foreach (var half in _halves)
        {
            if (weightsChanged)
            {
                var rows = GatherGateRows(_weightHh.Value.Data, _hidden, half);
                if (half.RecurrentWeights is null) half.RecurrentWeights = new PackedMatrix(rows, half.GateWidth, _hidden, transpose: true);
                else half.RecurrentWeights.Repack(rows);
            }
            if (biasChanged) GatherGateRows(_biasHh.Value.Data, 1, half).CopyTo(half.RecurrentBias);
            for (int k = 0; k < half.Peepholes.Length / half.Count; k++)
                peepholes.Slice(k * _hidden + half.First, half.Count).CopyTo(half.Peepholes.AsSpan(k * half.Count, half.Count));
            if (half.Rec.Length < batch * half.GateWidth) half.Rec = new float[batch * half.GateWidth];
        }
        _weightVersion = _weightHh.Version;
        _biasVersion = _biasHh.Version;
    }

    /// <summary>The rows [G·n, width] of matrix [G·H, width] for the half's units, gate by gate.</summary>
    private float[] GatherGateRows(ReadOnlySpan<float> matrix, int width, Half half)
    {
        var rows = new float[half.GateWidth * width];
        for (int g = 0; g < _gates; g++)
            matrix.Slice((g * _hidden + half.First) * width, half.Count * width).CopyTo(rows.AsSpan(g * half.Count * width));
        return rows;
    }

    /// <summary>Units [First, First + Count) of the layer: their packed gate rows of W_hh and their per-step buffers.</summary>
    private sealed class Half(int first, int count, int gates, int cacheWidth, int peepholes)
    {
        public int First { get; } = first;
        public int Count { get; } = count;
        public int GateWidth { get; } = gates * count;
        public PackedMatrix? RecurrentWeights;                               // op(B) = W_hh(half)ᵀ [H, G·n]
        public float[] RecurrentBias { get; } = new float[gates * count];   // [G·n]
        public float[] Rec = [];                                             // [B, G·n]
        public float[] Pre { get; } = new float[gates * count];             // [G·n] one row's gathered input projection
        public float[] Cache { get; } = new float[cacheWidth];              // the kernel's per-row scratch
        public float[] Peepholes { get; } = new float[peepholes * count];   // [P·n]
    }
}
