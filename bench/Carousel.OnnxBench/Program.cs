// Carousel against ONNX Runtime running Carousel's own exported model, side by side in one process, on one
// char model (Embedding → L-layer LSTM/GRU/RNN → Linear, V = 65, seeded weights):
//  (i)  batch-1 sampling tokens/s: Carousel's CharModelStepper against the exported step graph (token, state → logits,
//       state), the state fed back through ping-pong I/O binding over buffers allocated once; the same softmax and
//       multinomial draw (CharSampler.Choose) after either; 20 warm-up steps, best of --rounds rounds of --sample tokens.
//  (ii) forward inference tokens/s at B × T (32 × 100): CharLanguageModel.Run (no targets, dropout off) against the
//       exported sequence graph (ids [T, B] and zero state bound to buffers allocated once), best of --runs after a warm-up.
// Each side takes the best of --threads (default "1 2": Carousel's kernel threads, ONNX Runtime's intra-op threads;
// inter-op 1, sequential, graph optimization ALL). Before timing, the sequence graph's logits are checked against
// Carousel's to 1e-4 (exit 1 otherwise). Prints one JSON line with both figures and the ratios (Carousel / ORT).
// Usage: Carousel.OnnxBench [--cell lstm] [--hidden 256] [--layers 2] [--vocab 65] [--batch 32] [--seq 100]
//                           [--sample 500] [--rounds 3] [--runs 5] [--threads "1 2"] [--warmup SECONDS (1, each side, each measurement)]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Carousel.Export;
using Carousel.Kernels;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;
using Microsoft.ML.OnnxRuntime;

string cellName = "lstm";
int hidden = 256, layers = 2, vocab = 65, batch = 32, steps = 100, sample = 500, rounds = 3, runs = 5;
int[] threadCounts = [1, 2];
double warmupSeconds = 1;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--cell": cellName = Next(); break;
        case "--hidden": hidden = Int(); break;
        case "--layers": layers = Int(); break;
        case "--vocab": vocab = Int(); break;
        case "--batch": batch = Int(); break;
        case "--seq": steps = Int(); break;
        case "--sample": sample = Int(); break;
        case "--rounds": rounds = Int(); break;
        case "--runs": runs = Int(); break;
        case "--warmup": warmupSeconds = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--threads": threadCounts = [.. Next().Split(' ', ',', StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))]; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}

var cell = CellKinds.Parse(cellName);
var model = new CharLanguageModel(new CharLanguageModelConfig(vocab, cell, hidden, layers), new Rng(0)) { Training = false };
var graphs = OnnxExport.CharLanguageModel(model);
byte[] sequenceGraph = graphs.Single(g => g.Role == "sequence").Model, stepGraph = graphs.Single(g => g.Role == "step").Model;
bool hasCell = cell.HasCellState();
int L = layers, H = hidden, V = vocab, B = batch, T = steps;

var ids = new int[T * B];   // [T, B]
var idRng = new Rng(1);
for (int n = 0; n < ids.Length; n++) ids[n] = idRng.NextInt(V);
long[] ids64 = [.. ids.Select(i => (long)i)];

using var runOptions = new RunOptions();
SessionOptions Session(int threads) => new()
{
    IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
};

// ---- (ii) forward inference at B × T ----
double CarouselInference(int threads, float[]? logitsOut = null)
{
    using var scope = Gemm.UseThreads(threads);
    WarmUp(() => model.Run(ids, null, T, B));   // tiered JIT and workspaces
    if (logitsOut is not null) model.Logits.CopyTo(logitsOut);
    double best = double.MaxValue;
    var clock = new Stopwatch();
    for (int r = 0; r < runs; r++)
    {
        clock.Restart();
        model.Run(ids, null, T, B);
        best = Math.Min(best, clock.Elapsed.TotalSeconds);
    }
    return T * B / best;
}

double OrtInference(int threads, float[]? logitsOut = null)
{
    using var options = Session(threads);
    using var session = new InferenceSession(sequenceGraph, options);
    var logits = new float[T * B * V];
    var h0 = new float[L * B * H]; var c0 = new float[L * B * H];
    var h1 = new float[L * B * H]; var c1 = new float[L * B * H];
    long[] stateShape = [L, B, H];
    using var idsValue = OrtValue.CreateTensorValueFromMemory(ids64, [T, B]);
    using var h0Value = OrtValue.CreateTensorValueFromMemory(h0, stateShape);
    using var c0Value = OrtValue.CreateTensorValueFromMemory(c0, stateShape);
    using var logitsValue = OrtValue.CreateTensorValueFromMemory(logits, [T, B, V]);
    using var h1Value = OrtValue.CreateTensorValueFromMemory(h1, stateShape);
    using var c1Value = OrtValue.CreateTensorValueFromMemory(c1, stateShape);
    string[] inputNames = hasCell ? ["ids", "h_in", "c_in"] : ["ids", "h_in"];
    OrtValue[] inputs = hasCell ? [idsValue, h0Value, c0Value] : [idsValue, h0Value];
    string[] outputNames = hasCell ? ["logits", "h_out", "c_out"] : ["logits", "h_out"];
    OrtValue[] outputs = hasCell ? [logitsValue, h1Value, c1Value] : [logitsValue, h1Value];
    WarmUp(() => session.Run(runOptions, inputNames, inputs, outputNames, outputs));
    if (logitsOut is not null) logits.CopyTo(logitsOut, 0);
    double best = double.MaxValue;
    var clock = new Stopwatch();
    for (int r = 0; r < runs; r++)
    {
        clock.Restart();
        session.Run(runOptions, inputNames, inputs, outputNames, outputs);
        best = Math.Min(best, clock.Elapsed.TotalSeconds);
    }
    return T * B / best;
}

// ---- (i) batch-1 sampling ----
var scratch = new float[V];
var sampling = new SamplingOptions();

double CarouselSampling(int threads)
{
    using var scope = Gemm.UseThreads(threads);
    using var stepper = new CharModelStepper(model, threads);
    double Round(int tokens)
    {
        var rng = new Rng(2);
        int token = 0;
        stepper.Reset();
        var clock = new Stopwatch();
        for (int i = -20; i < tokens; i++)
        {
            if (i == 0) clock.Restart();
            token = CharSampler.Choose(stepper.Step(token), sampling, rng, scratch);
        }
        return tokens / clock.Elapsed.TotalSeconds;
    }
    WarmUp(() => Round(sample));   // tiered JIT, the helper thread awake
    double best = 0;
    for (int r = 0; r < rounds; r++) best = Math.Max(best, Round(sample));
    return best;
}

double OrtSampling(int threads)
{
    using var options = Session(threads);
    using var session = new InferenceSession(stepGraph, options);
    var token = new long[1];
    var logits = new float[V];
    float[][] h = [new float[L * H], new float[L * H]], c = [new float[L * H], new float[L * H]];
    long[] stateShape = [L, 1, H];
    using var tokenValue = OrtValue.CreateTensorValueFromMemory(token, [1]);
    using var logitsValue = OrtValue.CreateTensorValueFromMemory(logits, [1, V]);
    var hValues = h.Select(b => OrtValue.CreateTensorValueFromMemory(b, stateShape)).ToArray();
    var cValues = c.Select(b => OrtValue.CreateTensorValueFromMemory(b, stateShape)).ToArray();
    // Parity k reads state buffer k and writes buffer 1 − k: the state is fed back without a copy or an allocation.
    var bindings = new OrtIoBinding[2];
    for (int k = 0; k < 2; k++)
    {
        bindings[k] = session.CreateIoBinding();
        bindings[k].BindInput("token", tokenValue);
        bindings[k].BindInput("h_in", hValues[k]);
        bindings[k].BindOutput("logits", logitsValue);
        bindings[k].BindOutput("h_out", hValues[1 - k]);
        if (hasCell)
        {
            bindings[k].BindInput("c_in", cValues[k]);
            bindings[k].BindOutput("c_out", cValues[1 - k]);
        }
    }
    double Round(int tokens)
    {
        var rng = new Rng(2);
        foreach (var b in h) Array.Clear(b);
        foreach (var b in c) Array.Clear(b);
        int parity = 0;
        token[0] = 0;
        var clock = new Stopwatch();
        for (int i = -20; i < tokens; i++)
        {
            if (i == 0) clock.Restart();
            session.RunWithBinding(runOptions, bindings[parity]);
            parity ^= 1;
            token[0] = CharSampler.Choose(logits, sampling, rng, scratch);
        }
        return tokens / clock.Elapsed.TotalSeconds;
    }
    try
    {
        WarmUp(() => Round(sample));
        double best = 0;
        for (int r = 0; r < rounds; r++) best = Math.Max(best, Round(sample));
        return best;
    }
    finally
    {
        foreach (var b in bindings) b.Dispose();
        foreach (var v in hValues.Concat(cValues)) v.Dispose();
    }
}

// The exported graph computes what Carousel computes, before anything is timed.
var ours = new float[T * B * V];
var theirs = new float[T * B * V];
CarouselInference(threadCounts[0], ours);
OrtInference(threadCounts[0], theirs);
double maxDifference = 0;
for (int n = 0; n < ours.Length; n++) maxDifference = Math.Max(maxDifference, Math.Abs(ours[n] - theirs[n]));
if (!(maxDifference <= 1e-4))
{
    Console.Error.WriteLine($"ONNX Runtime's logits differ from Carousel's by {maxDifference:G3} (> 1e-4): not timing.");
    return 1;
}

// Interleaved per thread count, so that the machine's drift hits both sides alike.
double carouselSample = 0, ortSample = 0, carouselInfer = 0, ortInfer = 0;
int carouselSampleThreads = 0, ortSampleThreads = 0, carouselInferThreads = 0, ortInferThreads = 0;
foreach (int t in threadCounts)
{
    Best(ref carouselSample, ref carouselSampleThreads, CarouselSampling(t), t);
    Best(ref ortSample, ref ortSampleThreads, OrtSampling(t), t);
    Best(ref carouselInfer, ref carouselInferThreads, CarouselInference(t), t);
    Best(ref ortInfer, ref ortInferThreads, OrtInference(t), t);
}

Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
{
    ["cell"] = cellName, ["hidden"] = H, ["layers"] = L, ["vocab"] = V, ["batch"] = B, ["seq"] = T,
    ["ort"] = OrtEnv.Instance().GetVersionString(), ["max_abs_logit_difference"] = maxDifference,
    ["carousel_sample_tokens_per_s"] = Math.Round(carouselSample), ["carousel_sample_threads"] = carouselSampleThreads,
    ["ort_sample_tokens_per_s"] = Math.Round(ortSample), ["ort_sample_threads"] = ortSampleThreads,
    ["sample_ratio"] = Math.Round(carouselSample / ortSample, 2),
    ["carousel_infer_tokens_per_s"] = Math.Round(carouselInfer), ["carousel_infer_threads"] = carouselInferThreads,
    ["ort_infer_tokens_per_s"] = Math.Round(ortInfer), ["ort_infer_threads"] = ortInferThreads,
    ["infer_ratio"] = Math.Round(carouselInfer / ortInfer, 2),
}));
return 0;

void WarmUp(Action action)
{
    var clock = Stopwatch.StartNew();
    do action(); while (clock.Elapsed.TotalSeconds < warmupSeconds);
}

static void Best(ref double best, ref int bestThreads, double value, int threads)
{
    if (value > best) { best = value; bestThreads = threads; }
}
