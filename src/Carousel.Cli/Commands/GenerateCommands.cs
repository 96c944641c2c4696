using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Carousel.Data;
using Carousel.IO;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;

namespace Carousel.Cli.Commands;

/// <summary>`carousel generate train|sample|eval`: one-to-many, a character model started from a condition vector.</summary>
internal static class GenerateCommands
{
    public static Command Create() => new("generate", "Conditioned generation (one-to-many): a character model whose initial state comes from a condition vector, e.g. names by gender.")
    {
        Train(), Sample(), Eval(),
    };

    public static Command Train()
    {
        var defaults = new GeneratorTrainingOptions();
        var train = new LabelledDataOptions("train", "Training texts, conditioned on the one-hot of their label");
        var vectors = new Option<string?>("--train-vectors") { Description = "Training texts with their own condition vectors: JSON lines with 'text' and 'condition' (an array of numbers)." };
        var devFraction = new Option<double>("--dev-fraction") { Description = "Share of the distinct texts held out to pick the best epoch (seeded).", DefaultValueFactory = _ => 0.1 };
        var textField = ClassifyCommands.TextField();
        var labelField = ClassifyCommands.LabelField();
        var outDir = new Option<string>("--out") { Description = "Directory for checkpoint.safetensors (the best epoch's model), model.safetensors and metrics.jsonl.", Required = true };
        var run = new ResumeOptions();
        var cell = new Option<string>("--cell") { Description = CellKinds.CliNames + ".", DefaultValueFactory = _ => "lstm" };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per layer.", DefaultValueFactory = _ => defaults.Hidden };
        var layers = new Option<int>("--layers") { Description = "Recurrent layers (each gets its initial state from the condition).", DefaultValueFactory = _ => defaults.Layers };
        var embedding = new Option<int>("--embedding") { Description = "Embedding size.", DefaultValueFactory = _ => defaults.Embedding };
        var dropout = new Option<float>("--dropout") { Description = "Dropout between layers while training.", DefaultValueFactory = _ => 0f };
        var loop = new TrainingLoopOptions(defaults, "texts");
        var epochs = loop.Epochs(defaults.Epochs);
        var command = new Command("train", "Train a conditioned generator: texts with a label (one-hot condition) or with their own condition vectors.")
        {
            vectors, devFraction, textField, labelField, outDir, cell, hidden, layers, embedding, dropout, epochs,
        };
        var model = new RecurrentModelOptions("symbols");
        foreach (var o in train.All.Concat(run.All).Concat(loop.All).Concat(model.All)) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var options = loop.Read(parse, model.Read(parse, new GeneratorTrainingOptions
            {
                Cell = CellKinds.Parse(parse.GetValue(cell)!), Hidden = parse.GetValue(hidden), Layers = parse.GetValue(layers),
                Embedding = parse.GetValue(embedding), Dropout = parse.GetValue(dropout), Epochs = parse.GetValue(epochs),
            }));
            options.Validate();
            string dir = parse.GetValue(outDir)!;
            var resume = run.Prepare(parse, dir, GeneratorCheckpoint.Kind);
            bool labelled = train.Given(parse);
            string? vectorPath = parse.GetValue(vectors);
            if (labelled == (vectorPath is not null))
                throw new UsageException("Give either labelled texts (--train, --train-lines LABEL=FILE) or --train-vectors, not both or neither.");

            string[] labels = [];
            List<ConditionedText> all;
            if (labelled)
            {
                // A text under two labels (a name in both lists) stays under both: it is a fine example of each.
                var examples = train.Read(parse, parse.GetValue(textField)!, parse.GetValue(labelField)!);
                labels = LabelledTexts.Labels(examples);
                all = examples.Select(e =>
                {
                    var v = new float[labels.Length];
                    v[Array.IndexOf(labels, e.Label)] = 1f;
                    return new ConditionedText(v, e.Text);
                }).ToList();
            }
            else all = LabelledTextReader.ReadConditionedJsonLines(vectorPath!, parse.GetValue(textField)!);
            var (trainTexts, devTexts) = LabelledTexts.Split(all, e => e.Text, parse.GetValue(devFraction), options.Seed);

            var training = new GeneratorTraining(options, trainTexts, devTexts, labels);
            var trainer = new Trainer<int[]>(training, training.Run(dir, resume) with { Overwrite = parse.GetValue(run.Overwrite) });
            Console.WriteLine($"{options.Cell.ToCliName()} {options.Layers}×{options.Hidden}, condition of {all[0].Condition.Length} values" +
                              (labels.Length > 0 ? $" (one-hot of {string.Join(", ", labels)})" : "") +
                              $", {training.Vocabulary.Count} symbols; {trainTexts.Count:N0} training and {devTexts.Count:N0} dev texts, {options.Epochs} epochs" +
                              (resume is not null ? $", resuming after step {trainer.Cursor.Step}" : "") + ".");
            return TrainRunner.Run(trainer, dir, "sym");
        }));
        return command;
    }

    private sealed class SamplingFlags
    {
        public readonly Option<float> Temperature = new("--temperature") { Description = "Divide the logits by this (lower: more conservative).", DefaultValueFactory = _ => 1f };
        public readonly Option<int> TopK = new("--top-k") { Description = "Draw only from the k most likely characters (0: all).", DefaultValueFactory = _ => 0 };
        public readonly Option<ulong> Seed = new("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 0UL };
        public readonly Option<int> MaxLength = new("--max-length") { Description = "Stop a text after this many characters if the model has not ended it.", DefaultValueFactory = _ => 50 };

        public IEnumerable<Option> All => [Temperature, TopK, Seed, MaxLength];

        public SamplingOptions Options(ParseResult parse)
        {
            var options = new SamplingOptions(parse.GetValue(Temperature), parse.GetValue(TopK));
            options.Validate();
            if (parse.GetValue(MaxLength) <= 0) throw new UsageException($"--max-length must be positive, got {parse.GetValue(MaxLength)}.");
            return options;
        }
    }

    public static Command Sample()
    {
        var checkpointArg = new Argument<string>("checkpoint") { Description = "A generator checkpoint file or training directory." };
        var condition = new Option<string?>("--condition") { Description = "The label to generate for (its one-hot is the condition)." };
        var vector = new Option<string?>("--condition-vector") { Description = "The condition as comma-separated numbers (models trained with --train-vectors)." };
        var count = new Option<int>("--count") { Description = "Texts to generate, one per line.", DefaultValueFactory = _ => 10 };
        var flags = new SamplingFlags();
        var command = new Command("sample", "Generate texts for a condition, one per line.") { checkpointArg, condition, vector, count };
        foreach (var o in flags.All) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var sampling = flags.Options(parse);
            int n = parse.GetValue(count);
            if (n < 0) throw new UsageException($"--count must be ≥ 0, got {n}.");
            var checkpoint = GeneratorCheckpoint.Load(parse.GetValue(checkpointArg)!);
            float[] v = ConditionOf(checkpoint, parse.GetValue(condition), parse.GetValue(vector));
            var rng = new Rng(parse.GetValue(flags.Seed));
            for (int i = 0; i < n; i++)
                Console.WriteLine(checkpoint.Model.Generate(checkpoint.Vocabulary, v, sampling, rng, parse.GetValue(flags.MaxLength)));
            return 0;
        }));
        return command;
    }

    public static Command Eval()
    {
        var checkpointArg = new Argument<string>("checkpoint") { Description = "A generator checkpoint trained on labels." };
        var count = new Option<int>("--count") { Description = "Texts to generate per label.", DefaultValueFactory = _ => 1000 };
        var known = new LabelledDataOptions("known", "Texts that count as not new (e.g. the training lists)");
        var judge = new Option<string?>("--judge") { Description = "A classifier checkpoint (carousel classify) that names the label of each generated text." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var flags = new SamplingFlags();
        var command = new Command("eval", "Generate --count texts per label and report the share that are new (not among --known texts) and the share the --judge classifier assigns to the requested label.")
        {
            checkpointArg, count, judge, json,
        };
        foreach (var o in known.All.Concat(flags.All)) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var sampling = flags.Options(parse);
            int n = parse.GetValue(count);
            if (n <= 0) throw new UsageException($"--count must be positive, got {n}.");
            var generator = GeneratorCheckpoint.Load(parse.GetValue(checkpointArg)!);
            if (generator.Labels.Length == 0) throw new UsageException("This generator was trained on condition vectors; eval needs one trained on labels.");
            var knownTexts = known.Given(parse) ? known.Read(parse, "text", "label").Select(e => e.Text).ToHashSet(StringComparer.Ordinal) : null;
            var classifier = parse.GetValue(judge) is { } judgeDir ? ClassifierCheckpoint.Load(judgeDir) : null;
            if (classifier is not null)
                foreach (var label in generator.Labels)
                    if (!classifier.Labels.Contains(label)) throw new UsageException($"The judge does not know the label '{label}' (it knows {string.Join(", ", classifier.Labels)}).");

            var rng = new Rng(parse.GetValue(flags.Seed));
            var rows = new List<(string Label, int Count, double? New, double? Judged, string[] Examples)>();
            foreach (var label in generator.Labels)
            {
                var v = generator.OneHot(label);
                var texts = new List<string>(n);
                for (int i = 0; i < n; i++)
                {
                    string text = generator.Model.Generate(generator.Vocabulary, v, sampling, rng, parse.GetValue(flags.MaxLength));
                    texts.Add(text.Length > 0 ? text : " "); // an immediately ended text still counts, as a blank
                }
                // A text the model ended at once (a blank) is not counted as new.
                double? isNew = knownTexts is null ? null : texts.Count(t => t.Trim().Length > 0 && !knownTexts.Contains(t)) / (double)n;
                double? judged = null;
                if (classifier is not null)
                {
                    var p = classifier.Predict(texts);
                    int K = classifier.Labels.Length, want = Array.IndexOf(classifier.Labels, label), agree = 0;
                    for (int i = 0; i < n; i++)
                        if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p.AsSpan(i * K, K)) == want) agree++;
                    judged = agree / (double)n;
                }
                rows.Add((label, n, isNew, judged, texts.Take(8).ToArray()));
            }
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(rows.Select(r => new { label = r.Label, count = r.Count, share_new = r.New, share_judged_as_label = r.Judged, examples = r.Examples })));
            else
            {
                var inv = CultureInfo.InvariantCulture;
                Console.WriteLine($"{"condition",-12}{"texts",8}{"new",10}{"judged as condition",22}  examples");
                foreach (var r in rows)
                    Console.WriteLine(string.Create(inv, $"{r.Label,-12}{r.Count,8}{(r.New is double a ? a.ToString("P1", inv) : "-"),10}{(r.Judged is double j ? j.ToString("P1", inv) : "-"),22}  {string.Join(", ", r.Examples)}"));
            }
            return 0;
        }));
        return command;
    }

    private static float[] ConditionOf(GeneratorCheckpoint checkpoint, string? label, string? vector)
    {
        if ((label is null) == (vector is null)) throw new UsageException("Give either --condition LABEL or --condition-vector NUMBERS.");
        if (label is not null) return checkpoint.OneHot(label);
        var parts = vector!.Split(',', StringSplitOptions.TrimEntries);
        var v = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !float.IsFinite(v[i]))
                throw new UsageException($"--condition-vector: '{parts[i]}' is not a number.");
        if (v.Length != checkpoint.Model.Config.ConditionSize)
            throw new UsageException($"--condition-vector has {v.Length} values; the model takes {checkpoint.Model.Config.ConditionSize}.");
        return v;
    }
}
