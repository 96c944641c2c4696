using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Experiments.Tasks;

/// <summary>
/// Hessian-free training (<see cref="HessianFree"/>) as a learner of the task trainer: each batch is the gradient batch,
/// its first <see cref="CurvatureRows"/> sequences the curvature batch, and the learner makes the update itself (one HF
/// step per batch). It gives the HF step what it needs from the tagger (<see cref="TaggerCurvature"/>): the loss and
/// gradient by the tagger's own forward and backward, and Gauss-Newton products Jᵀ·H_L·J·v by the R-operator
/// (<see cref="RecurrentTangent"/>) forward, the task's matching-loss curvature (<see cref="TaskBatch.LossCurvature"/>)
/// and the tagger's own backward. One-layer tanh RNN or LSTM reading features.
/// </summary>
public sealed class HessianFreeLearner : ITaskLearner
{
    private readonly HessianFreeSettings _settings;
    private HessianFree? _optimizer;
    private TaggerCurvature? _curvature;

    /// <summary>A learner with these knobs, its curvature batch the first <paramref name="curvatureRows"/> sequences of each batch.</summary>
    public HessianFreeLearner(HessianFreeSettings settings, int curvatureRows)
    {
        settings.Validate();
        SettingException.Require(curvatureRows > 0, "CurvatureBatch", $"CurvatureBatch must be positive, got {curvatureRows}.");
        _settings = settings;
        CurvatureRows = curvatureRows;
    }

    /// <summary>The sequences of each batch the curvature products are computed on (all of it when the batch is smaller).</summary>
    public int CurvatureRows { get; }

    /// <summary>The last step's report (null before the first).</summary>
    public HessianFreeStep? LastStep { get; private set; }

    /// <summary>CG iterations (each one curvature product) over all steps so far.</summary>
    public long CgIterations { get; private set; }

    /// <summary>λ now, or the initial λ before the first step.</summary>
    public float Damping => _optimizer?.Damping ?? _settings.InitialDamping;

    /// <inheritdoc/>
    public string Name => "hf";

    /// <inheritdoc/>
    public bool UpdatesWeights => true;

    /// <summary>Refuses, with the reason, a model the R-operator cannot differentiate.</summary>
    public static void CheckSupported(RecurrentOptions options)
    {
        if (RecurrentTangent.Unsupported(options) is { } reason) throw new SettingException("Optimizer", $"Optimizer hf: {reason}.", options.Cell != CellKind.RnnTanh && options.Cell != CellKind.Lstm ? "Cell" : "Layers");
    }

    /// <inheritdoc/>
    public double ComputeGradients(SequenceTagger model, TaskBatch batch, WeightUpdate update)
    {
        if (model.Embedding is not null || model.OneHotSymbols > 0) throw new SettingException("Optimizer", "Optimizer hf needs a model that reads features.");
        if (_curvature is null || _curvature.Model != model)
        {
            CheckSupported(model.Rnn.Options);
            _curvature = new TaggerCurvature(model);
            _optimizer = new HessianFree(_settings, _curvature.Dimension);
        }
        _curvature.Use(batch, Math.Min(CurvatureRows, batch.BatchSize));
        LastStep = _optimizer!.Step(_curvature);
        CgIterations += LastStep.CgIterations;
        return LastStep.LossBefore;
    }
}
