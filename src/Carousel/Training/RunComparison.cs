using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Carousel.Diagnostics;
using Carousel.IO;
using Carousel.Models;
using Carousel.Tensors;
using Carousel.Training.Char;

namespace Carousel.Training;

/// <summary>What a comparison samples from each character model: the same prime, length, seed and sampling options for all.</summary>
/// <param name="Prime">The text every sample starts from.</param>
/// <param name="Length">Characters generated after the prime.</param>
/// <param name="Seed">Seeds each sample's generator (the same for every run).</param>
/// <param name="Sampling">Temperature, top-k, argmax.</param>
public sealed record ComparisonSampling(string Prime, int Length, ulong Seed, SamplingOptions Sampling);

/// <summary>One training directory as a comparison reads it.</summary>
/// <param name="Directory">The run's directory.</param>
/// <param name="Name">The name it goes by in the report (the directory's name, made unique).</param>
/// <param name="Kind">The checkpoint's model kind.</param>
/// <param name="Options">The options it was trained with (name → JSON value), in their saved order.</param>
/// <param name="Curve">Its losses at each evaluation.</param>
/// <param name="Weights">The number of trained values.</param>
/// <param name="Step">The step its kept model is from.</param>
/// <param name="ElapsedSeconds">The run's wall time as its last metrics line says (NaN without one).</param>
/// <param name="Sample">A sample of a character model, or null for other models.</param>
public sealed record ComparedRun(string Directory, string Name, string Kind, IReadOnlyList<(string Name, string Value)> Options,
    LossCurve Curve, long Weights, long Step, double ElapsedSeconds, string? Sample);

/// <summary>
/// Several training runs side by side, as one self-contained HTML page: the options (differences marked), the loss curves
/// on one inline SVG chart, the final figures, and a sample from each character model with the same prime, seed and length.
/// </summary>
public static class RunComparison
{
    /// <summary>Reads a training directory: its kept checkpoint (or where the run stands), metrics and, for a character model, a sample.</summary>
    /// <exception cref="InvalidDataException">The directory holds no Carousel training run.</exception>
    public static ComparedRun Read(string directory, string name, ComparisonSampling sampling)
    {
        if (!System.IO.Directory.Exists(directory)) throw new DirectoryNotFoundException($"'{directory}' is not a directory.");
        string kept = ModelCheckpoint.Resolve(directory), last = LastCheckpoint.PathIn(directory);
        string file = File.Exists(kept) ? kept : File.Exists(last) ? last
            : throw new InvalidDataException($"'{directory}' holds no training run (no {ModelCheckpoint.FileName} or {LastCheckpoint.FileName}).");
        var checkpoint = ModelCheckpoint.LoadAnyKind(file);
        var options = OptionsOf(checkpoint);
        var curve = LossCurve.Read(directory);
        double elapsed = ElapsedOf(directory);
        string? sample = null;
        if (checkpoint.Kind is CharCheckpoint.Kind or CharCheckpoint.EarlierKind)
        {
            var model = CharCheckpoint.Load(file);
            var sampler = new CharSampler(model.Model, model.Vocabulary);
            sample = sampling.Prime + string.Concat(sampler.Generate(sampling.Prime, sampling.Length, sampling.Sampling, new Rng(sampling.Seed)));
        }
        return new ComparedRun(directory, name, checkpoint.Kind, options, curve, checkpoint.WeightCount, checkpoint.Step, elapsed, sample);
    }

    /// <summary>Reads every directory (names made unique) and writes the page to <paramref name="outputPath"/> atomically.</summary>
    public static IReadOnlyList<ComparedRun> Write(IReadOnlyList<string> directories, string outputPath, ComparisonSampling sampling)
    {
        if (directories.Count == 0) throw new ArgumentException("Give at least one training directory.");
        var names = UniqueNames(directories);
        var runs = directories.Select((d, i) => Read(d, names[i], sampling)).ToList();
        AtomicFile.WriteAllText(outputPath, ToHtml(runs, sampling));
        return runs;
    }

    /// <summary>The page: a title, the options table, the chart, the final figures and the samples.</summary>
    public static string ToHtml(IReadOnlyList<ComparedRun> runs, ComparisonSampling sampling)
    {
        var html = new StringBuilder();
        string title = "Carousel: " + string.Join(" vs ", runs.Select(r => r.Name));
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(E(title)).Append("</title>\n<style>\n")
            .Append("body { font-family: DejaVu Sans, Arial, sans-serif; margin: 2em; max-width: 72em; }\n")
            .Append("table { border-collapse: collapse; margin: 1em 0; } th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }\n")
            .Append("td.num { text-align: right; font-variant-numeric: tabular-nums; } tr.differs td { background: #fff4d6; }\n")
            .Append("pre { background: #f6f6f6; padding: 0.8em; white-space: pre-wrap; }\n</style>\n</head>\n<body>\n")
            .Append("<h1>").Append(E(title)).Append("</h1>\n");

        // Options side by side; rows where the runs differ are marked.
        html.Append("<h2>Options</h2>\n<table>\n<tr><th>option</th>");
        foreach (var r in runs) html.Append("<th>").Append(E(r.Name)).Append("</th>");
        html.Append("</tr>\n<tr><td>model</td>");
        foreach (var r in runs) html.Append("<td>").Append(E(r.Kind)).Append("</td>");
        html.Append("</tr>\n");
        var optionNames = runs.SelectMany(r => r.Options.Select(o => o.Name)).Distinct().ToList();
        foreach (var option in optionNames)
        {
            var values = runs.Select(r => r.Options.FirstOrDefault(o => o.Name == option).Value ?? "–").ToList();
            html.Append(values.Distinct().Count() > 1 ? "<tr class=\"differs\">" : "<tr>").Append("<td>").Append(E(option)).Append("</td>");
            foreach (var v in values) html.Append("<td>").Append(E(v)).Append("</td>");
            html.Append("</tr>\n");
        }
        html.Append("</table>\n<p>Options left out of a run are at their defaults (a highlighted row differs between runs).</p>\n");

        // One chart: each run in its colour, training loss solid, held-out loss dashed.
        var chart = new SvgChart("loss at each evaluation", "step", "loss (nats)");
        for (int i = 0; i < runs.Count; i++) runs[i].Curve.AddTo(chart, runs[i].Name, SvgChart.Colors[i % SvgChart.Colors.Count]);
        html.Append("<h2>Loss</h2>\n").Append(chart.ToSvg()).Append('\n');

        html.Append("<h2>Final figures</h2>\n<table>\n<tr><th>run</th><th>steps</th><th>final train loss</th><th>final held-out loss</th>")
            .Append("<th>best held-out loss (step)</th><th>wall time</th><th>weights</th></tr>\n");
        foreach (var r in runs)
        {
            var c = r.Curve;
            int best = -1;
            for (int i = 0; i < c.Validation.Count; i++)
                if (!double.IsNaN(c.Validation[i]) && (best < 0 || c.Validation[i] < c.Validation[best])) best = i;
            html.Append("<tr><td>").Append(E(r.Name)).Append("</td>")
                .Append(Num(c.Steps.Count > 0 ? c.Steps[^1].ToString("F0", CultureInfo.InvariantCulture) : r.Step.ToString(CultureInfo.InvariantCulture)))
                .Append(Num(F4(c.FinalTrain))).Append(Num(F4(c.FinalValidation)))
                .Append(Num(best < 0 ? "–" : $"{F4(c.Validation[best])} ({c.Steps[best].ToString("F0", CultureInfo.InvariantCulture)})"))
                .Append(Num(double.IsNaN(r.ElapsedSeconds) ? "–" : Duration(r.ElapsedSeconds)))
                .Append(Num(r.Weights.ToString("N0", CultureInfo.InvariantCulture))).Append("</tr>\n");
        }
        html.Append("</table>\n<p>Losses in nats per symbol; the training loss is the mean over the steps since the evaluation before.</p>\n");

        var sampled = runs.Where(r => r.Sample is not null).ToList();
        if (sampled.Count > 0)
        {
            var s = sampling.Sampling;
            html.Append("<h2>Samples</h2>\n<p>").Append(E($"{sampling.Length} characters after the prime \"{sampling.Prime}\", seed {sampling.Seed}, " +
                (s.Argmax ? "argmax" : $"temperature {s.Temperature.ToString(CultureInfo.InvariantCulture)}" + (s.TopK > 0 ? $", top-k {s.TopK}" : "")))).Append(".</p>\n");
            foreach (var r in sampled) html.Append("<h3>").Append(E(r.Name)).Append("</h3>\n<pre>").Append(E(r.Sample!)).Append("</pre>\n");
        }
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    // The options as saved (char, classifier, tagger, generator: "options"; encoder-decoder: "training"), flat name → JSON.
    private static List<(string, string)> OptionsOf(ModelCheckpoint checkpoint)
    {
        var list = new List<(string, string)>();
        foreach (var key in new[] { "options", "training" })
        {
            if (!checkpoint.Metadata.TryGetValue(key, out var json)) continue;
            try
            {
                using var doc = JsonDocument.Parse(json);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) continue;
                foreach (var p in doc.RootElement.EnumerateObject())
                    list.Add((p.Name, Display(p.Name, p.Value)));
                return list;
            }
            catch (JsonException) { throw new InvalidDataException($"{checkpoint.Path}: its '{key}' metadata is not JSON."); }
        }
        return list;
    }

    // The character model's options keep Cell and Batching as numbers (its saved format); the page names them.
    private static string Display(string name, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String) return value.GetString()!;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n))
        {
            if (name == "Cell" && Enum.IsDefined((Layers.Recurrent.CellKind)n)) return Layers.Recurrent.CellKinds.ToCliName((Layers.Recurrent.CellKind)n);
            if (name == "Batching" && Enum.IsDefined((BatchingMode)n)) return ((BatchingMode)n).ToString();
        }
        return value.GetRawText();
    }

    private static double ElapsedOf(string directory)
    {
        string path = Path.Combine(directory, MetricsLog.FileName);
        if (!File.Exists(path)) return double.NaN;
        foreach (var line in File.ReadLines(path).Reverse())
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("elapsed_s", out var e) && e.ValueKind == JsonValueKind.Number)
                    return e.GetDouble();
            }
            catch (JsonException) { }
        }
        return double.NaN;
    }

    private static string[] UniqueNames(IReadOnlyList<string> directories)
    {
        var names = directories.Select(d => Path.GetFileName(Path.GetFullPath(d).TrimEnd('/', '\\'))).ToArray();
        for (int i = 0; i < names.Length; i++)
            if (names.Count(n => n == names[i]) > 1) names[i] = Path.GetFullPath(directories[i]).TrimEnd('/', '\\');
        return names;
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
    private static string Num(string text) => "<td class=\"num\">" + E(text) + "</td>";
    private static string F4(double x) => double.IsNaN(x) ? "–" : x.ToString("F4", CultureInfo.InvariantCulture);
    private static string Duration(double seconds) => seconds < 120 ? $"{seconds.ToString("F0", CultureInfo.InvariantCulture)} s"
        : $"{((int)(seconds / 60)).ToString(CultureInfo.InvariantCulture)} min {((int)(seconds % 60)).ToString(CultureInfo.InvariantCulture)} s";
}
