using System.Globalization;
using System.Text.RegularExpressions;
using Carousel.IO;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Optimizers;
using Carousel.Tensors;

namespace Carousel.Tests.Golden;

/// <summary>
/// Training cases (charlm_*): Embedding → recurrent stack → Linear → mean cross-entropy, started from
/// PyTorch's initial weights and run for the stored number of optimizer steps on the stored batches.
/// The loss before every step, the (clipped) gradients of step 0 and the final weights must match.
/// </summary>
public class GoldenTrainingTests
{
    public static TheoryData<string> TrainingCases()
    {
        var data = new TheoryData<string>();
        foreach (var name in GoldenFiles.All())
            if (GoldenFiles.IsTrainingCase(GoldenFiles.Open(name))) data.Add(name);
        return data;
    }

    [Theory]
    [MemberData(nameof(TrainingCases))]
    public void TrajectoryMatchesPyTorch(string fileName)
    {
        var file = GoldenFiles.Open(fileName);
        var meta = file.Metadata;
        var config = new CharLanguageModelConfig(file.Int("vocab"), CellKinds.Parse(meta["cell"]), file.Int("hidden"),
            file.Int("layers"), EmbeddingSize: file.Int("embed"));
        var model = new CharLanguageModel(config, new Rng(0));
        var named = model.NamedParameters();
        var initial = named.Select(p => ("init." + p.Name, p.Parameter)).ToList();
        StateDict.Load(file, initial, strict: false);

        var optimizer = CreateOptimizer(meta["optimizer"], meta["optimizer_args"], named);
        double? clip = meta["clip_grad_norm"] == "none" ? null : double.Parse(meta["clip_grad_norm"], CultureInfo.InvariantCulture);
        int steps = file.Int("steps"), T = file.Int("seq_len"), B = file.Int("batch");
        var inputs = file["inputs"].ToInt64s();
        var targets = file["targets"].ToInt64s();
        var losses = file["losses"].ToDoubles();

        for (int s = 0; s < steps; s++)
        {
            optimizer.ZeroGrad();
            var x = inputs.AsSpan(s * T * B, T * B).ToArray().Select(v => (int)v).ToArray();
            var y = targets.AsSpan(s * T * B, T * B).ToArray().Select(v => (int)v).ToArray();
            var (loss, _) = model.Run(x, y, T, B, backward: true);
            Numerics.Close(losses[s], loss, 1e-4, 1e-6, $"{fileName} loss before step {s}");
            if (clip is double maxNorm) GradientClipping.ClipByGlobalNorm(named.Select(p => p.Parameter), maxNorm);
            if (s == 0)
                foreach (var (name, p) in named)
                    GoldenFiles.AssertClose(file["grad." + name], p.Grad.Data, $"{fileName} grad.{name}");
            optimizer.Step();
        }
        foreach (var (name, p) in named)
            GoldenFiles.AssertClose(file["final." + name], p.Value.Data, $"{fileName} final.{name}");
    }

    /// <summary>The optimizer named in the metadata, with the settings of PyTorch's repr(opt.defaults).</summary>
    private static Optimizer CreateOptimizer(string name, string argsRepr, IReadOnlyList<(string, Parameter)> parameters)
    {
        float Arg(string key, float fallback)
        {
            var m = Regex.Match(argsRepr, $"'{key}': ([-+0-9.eE]+)");
            return m.Success ? float.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : fallback;
        }
        bool Flag(string key) => Regex.IsMatch(argsRepr, $"'{key}': True");
        var betas = Regex.Match(argsRepr, @"'betas': \(([-+0-9.eE]+), ([-+0-9.eE]+)\)");
        float beta1 = betas.Success ? float.Parse(betas.Groups[1].Value, CultureInfo.InvariantCulture) : 0.9f;
        float beta2 = betas.Success ? float.Parse(betas.Groups[2].Value, CultureInfo.InvariantCulture) : 0.999f;
        float lr = Arg("lr", float.NaN);
        return name switch
        {
            "sgd" or "momentum" or "nesterov" => new Sgd(parameters, lr, Arg("momentum", 0), Arg("dampening", 0), Arg("weight_decay", 0), Flag("nesterov")),
            "adagrad" => new Adagrad(parameters, lr, Arg("lr_decay", 0), Arg("weight_decay", 0), Arg("initial_accumulator_value", 0), Arg("eps", 1e-10f)),
            "rmsprop" => new RmsProp(parameters, lr, Arg("alpha", 0.99f), Arg("eps", 1e-8f), Arg("weight_decay", 0), Arg("momentum", 0), Flag("centered")),
            "adam" => new Adam(parameters, lr, beta1, beta2, Arg("eps", 1e-8f), Arg("weight_decay", 0)),
            "adamw" => new Adam(parameters, lr, beta1, beta2, Arg("eps", 1e-8f), Arg("weight_decay", 0.01f), decoupled: true),
            _ => throw new NotSupportedException($"No optimizer '{name}'."),
        };
    }
}
