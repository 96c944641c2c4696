using System.Numerics.Tensors;
using Carousel.Distributed;
using Carousel.Tensors;

namespace Carousel.Training;

/// <summary>
/// The data-parallel part of the one training loop: every process draws the same global batch, trains its shard
/// (<see cref="Trainable{TBatch}.TrainShard"/>), and one all-reduce of one flat buffer of every gradient, each weighted by
/// its shard's share of the batch's count, leaves the whole batch's gradient on every process, ready for the same
/// clipping and optimizer step everywhere. The weights start from rank 0's.
/// </summary>
/// <remarks>
/// Dropout: each process draws its masks from its own generator, derived at every step from the run's shared dropout
/// generators (one draw each, so the shared ones advance alike on every process and are what the run saves) and the
/// rank. Masks are thus reproducible for a given number of processes, and a resumed run continues them exactly.
/// </remarks>
internal sealed class DataParallel
{
    private readonly ICommunicator _communicator;
    private readonly Parameter[] _parameters;
    private readonly float[] _flat;                      // [Σ parameter sizes] every gradient (or weight), one buffer
    private readonly double[] _sums = new double[4];     // loss·count, count, tokens, processes asking to stop
    private ulong[][] _sharedDropout = [];

    public DataParallel(ICommunicator communicator, Parameter[] parameters)
    {
        _communicator = communicator;
        _parameters = parameters;
        _flat = new float[parameters.Sum(p => (long)p.Value.Length)];
    }

    /// <summary>Gradient bytes each process sends into the all-reduce at every step (float32).</summary>
    public long GradientBytes => _flat.LongLength * sizeof(float);

    /// <summary>Every process takes rank 0's weights.</summary>
    public void BroadcastWeights()
    {
        Gather(p => p.Value);
        _communicator.Broadcast(_flat);
        Scatter(p => p.Value);
        foreach (var p in _parameters) p.MarkChanged();
    }

    /// <summary>
    /// Trains this process's shard of <paramref name="batch"/> and sums over the processes: afterwards every process
    /// holds the whole batch's gradient. Returns the batch's loss and tokens and whether any process asked to stop.
    /// </summary>
    public (BatchLoss Loss, bool Stop) Train<TBatch>(Trainable<TBatch> task, TBatch batch, bool stopRequested)
    {
        var shard = new BatchShard(_communicator.Rank, _communicator.Size);
        var dropout = task.Model.DropoutRngs;
        UseOwnDropout(dropout);
        ShardLoss local;
        try { local = task.TrainShard(batch, shard); }
        finally { UseSharedDropout(dropout); }

        bool empty = local.Count == 0;
        _sums[0] = empty ? 0 : local.Loss * local.Count;
        _sums[1] = local.Count;
        _sums[2] = local.Tokens;
        _sums[3] = stopRequested ? 1 : 0;
        _communicator.SumInPlace(_sums);
        double count = _sums[1];
        // Each shard's gradient is of its mean; weighted by its share of the batch's count the sum is the batch's mean's.
        if (empty) Array.Clear(_flat);
        else Gather(p => p.Grad);
        float share = count > 0 ? (float)(local.Count / count) : 0f;
        if (!empty && share != 1f) TensorPrimitives.Multiply(_flat, share, _flat);
        _communicator.SumInPlace(_flat);
        Scatter(p => p.Grad);
        double loss = count > 0 ? _sums[0] / count : double.NaN;
        return (new BatchLoss(loss, (long)_sums[2]), _sums[3] > 0);
    }

    private void UseOwnDropout(IReadOnlyList<Rng> dropout)
    {
        if (_sharedDropout.Length != dropout.Count) _sharedDropout = new ulong[dropout.Count][];
        for (int k = 0; k < dropout.Count; k++)
        {
            ulong key = dropout[k].NextUInt64();
            _sharedDropout[k] = dropout[k].State;
            dropout[k].State = new Rng(key ^ (0x9E3779B97F4A7C15UL * (ulong)(_communicator.Rank + 1))).State;
        }
    }

    private void UseSharedDropout(IReadOnlyList<Rng> dropout)
    {
        for (int k = 0; k < dropout.Count; k++) dropout[k].State = _sharedDropout[k];
    }

    private void Gather(Func<Parameter, Tensor> part)
    {
        long offset = 0;
        foreach (var p in _parameters)
        {
            var data = part(p).Data;
            data.CopyTo(_flat.AsSpan((int)offset, data.Length));
            offset += data.Length;
        }
    }

    private void Scatter(Func<Parameter, Tensor> part)
    {
        long offset = 0;
        foreach (var p in _parameters)
        {
            var data = part(p).Data;
            _flat.AsSpan((int)offset, data.Length).CopyTo(data);
            offset += data.Length;
        }
    }
}
