using Carousel.Kernels;
using Carousel.Tensors;

namespace Carousel.Layers;

/// <summary>y = x·Wᵀ + b, as PyTorch's nn.Linear: weight [Out, In], bias [Out].</summary>
public sealed class Linear : IModule
{
    private ReadOnlyMemory<float> _input;
    private int _rows;

    /// <summary>In: the features of each input row.</summary>
    public int InputSize { get; }

    /// <summary>Out: the features of each output row.</summary>
    public int OutputSize { get; }

    /// <summary>W, weight [Out, In].</summary>
    public Parameter Weight { get; }

    /// <summary>b, bias [Out]; null for a layer built without one.</summary>
    public Parameter? Bias { get; }

    /// <summary>A layer from <paramref name="inputSize"/> to <paramref name="outputSize"/> features, with freshly drawn weights.</summary>
    /// <param name="inputSize">In: the features of each input row.</param>
    /// <param name="outputSize">Out: the features of each output row.</param>
    /// <param name="rng">Draws U(−1/√In, 1/√In) for weight and bias, PyTorch's default.</param>
    /// <param name="bias">Whether y gets a bias b; false for y = x·Wᵀ alone.</param>
    public Linear(int inputSize, int outputSize, Rng rng, bool bias = true)
    {
        if (inputSize <= 0 || outputSize <= 0) throw new ArgumentException($"Linear sizes must be positive, got {inputSize}→{outputSize}.");
        InputSize = inputSize;
        OutputSize = outputSize;
        Weight = new Parameter("weight", new Tensor(outputSize, inputSize));
        float bound = 1f / MathF.Sqrt(inputSize);
        rng.FillUniform(Weight.Value.Data, -bound, bound);
        if (bias)
        {
            Bias = new Parameter("bias", new Tensor(outputSize));
            rng.FillUniform(Bias.Value.Data, -bound, bound);
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<(string Name, Parameter Parameter)> NamedParameters() =>
        Bias is null ? [("weight", Weight)] : [("weight", Weight), ("bias", Bias)];

    /// <summary>No effect: a linear layer has no dropout.</summary>
    public bool Training { get; set; } = true;

    /// <inheritdoc/>
    public IReadOnlyList<Rng> DropoutRngs => [];

    /// <summary>x [N, In] (any leading shape flattened to N rows) → y [N, Out], written into <paramref name="output"/>.</summary>
    public void Forward(ReadOnlyMemory<float> input, int rows, Span<float> output)
    {
        _input = input;
        _rows = rows;
        Gemm.Multiply(false, true, rows, OutputSize, InputSize, input.Span, Weight.Value.Data, output, accumulate: false);
        if (Bias is not null) MatrixRows.AddToEachRow(output, Bias.Value.Data, rows);
    }

    /// <summary>dy [N, Out] → adds dW, db; writes (or adds, when <paramref name="accumulateInputGradient"/>) dx [N, In].</summary>
    public void Backward(ReadOnlySpan<float> dOutput, Span<float> dInput, bool accumulateInputGradient = false)
    {
        // dW [Out, In] += dyᵀ [Out, N] · x [N, In]
        Gemm.Multiply(true, false, OutputSize, InputSize, _rows, dOutput, _input.Span, Weight.Grad.Data, accumulate: true);
        if (Bias is not null) MatrixRows.AddColumnSums(dOutput, _rows, Bias.Grad.Data);
        if (!dInput.IsEmpty)
            Gemm.Multiply(false, false, _rows, InputSize, OutputSize, dOutput, Weight.Value.Data, dInput, accumulateInputGradient);
    }
}
