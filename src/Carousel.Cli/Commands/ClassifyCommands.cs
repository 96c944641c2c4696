using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Carousel.Diagnostics;
using Carousel.Data;
using Carousel.IO;
using Carousel.Layers;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Training;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;

namespace Carousel.Cli.Commands;

/// <summary>`carousel classify train|eval|predict`: many-to-one sequence classification of whole texts.</summary>
internal static class ClassifyCommands
{
    public static Command Create() => new("classify", "Sequence classification (many-to-one): a (bi)LSTM/GRU reads a whole text and names its class.")
    {
        Train(), Eval(), Predict(),
    };

    internal static Option<string> TextField() => new("--text-field") { Description = "JSON field holding the text.", DefaultValueFactory = _ => "text" };
    internal static Option<string> LabelField() => new("--label-field") { Description = "JSON field holding the label.", DefaultValueFactory = _ => "label" };

    public static Command Train()
    {
        var defaults = new ClassifierTrainingOptions();
        var train = new LabelledDataOptions("train", "Training data");
        var dev = new LabelledDataOptions("dev", "Dev data, evaluated after every epoch (without it, --dev-fraction of the training texts)");
        var devFraction = new Option<double>("--dev-fraction") { Description = "Share of the distinct training texts held out as dev data when no dev data is given (seeded).", DefaultValueFactory = _ => 0.1 };
        var dropConflicts = new Option<bool>("--drop-conflicts") { Description = "Drop every text that occurs with more than one label (e.g. names in both lists)." };
        var textField = TextField();
        var labelField = LabelField();
        var outDir = new Option<string>("--out") { Description = "Directory for checkpoint.safetensors (the best epoch's model), model.safetensors and metrics.jsonl.", Required = true };
        var run = new ResumeOptions();
        var cell = new Option<string>("--cell") { Description = CellKinds.CliNames + ".", DefaultValueFactory = _ => "lstm" };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per layer and direction.", DefaultValueFactory = _ => defaults.Hidden };
        var layers = new Option<int>("--layers") { Description = "Recurrent layers.", DefaultValueFactory = _ => defaults.Layers };
        var bidirectional = new Option<bool>("--bidirectional") { Description = "Read each text both ways; the summary joins both directions." };
        var embedding = new Option<int>("--embedding") { Description = "Embedding size.", DefaultValueFactory = _ => defaults.Embedding };
        var dropout = new Option<float>("--dropout") { Description = "Dropout between layers while training.", DefaultValueFactory = _ => 0f };
        var pool = new Option<string>("--pool") { Description = "Summary of a text: last (each direction's state at its own end), mean or max over the steps.", DefaultValueFactory = _ => "last" };
        var level = new Option<string>("--level") { Description = "Read texts as chars (Unicode characters), bytes (of their UTF-8 encoding) or words (runs of non-space characters; --max-length and --min-count then count words).", DefaultValueFactory = _ => "chars" };
        var maxLength = new Option<int>("--max-length") { Description = "Read only the first N characters (or bytes) of each text.", DefaultValueFactory = _ => defaults.MaxLength };
        var minCount = new Option<int>("--min-count") { Description = "Characters seen fewer times in training read as the unknown symbol.", DefaultValueFactory = _ => defaults.MinCount };
        var loop = new TrainingLoopOptions(defaults, "texts");
        var epochs = loop.Epochs(defaults.Epochs);

        var command = new Command("train", "Train a sequence classifier on labelled texts; the model of the best dev epoch is kept.")
        {
            textField, labelField, devFraction, dropConflicts, outDir, cell, hidden, layers, bidirectional, embedding, dropout,
            pool, level, maxLength, minCount, epochs,
        };
        var model = new RecurrentModelOptions("symbols");
        foreach (var o in train.All.Concat(dev.All).Concat(run.All).Concat(loop.All).Concat(model.All)) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var options = loop.Read(parse, model.Read(parse, new ClassifierTrainingOptions
            {
                Cell = CellKinds.Parse(parse.GetValue(cell)!), Hidden = parse.GetValue(hidden), Layers = parse.GetValue(layers),
                Bidirectional = parse.GetValue(bidirectional), Embedding = parse.GetValue(embedding), Dropout = parse.GetValue(dropout),
                Pooling = ParsePooling(parse.GetValue(pool)!), Level = TextSymbols.ParseLevel(parse.GetValue(level)!),
                MaxLength = parse.GetValue(maxLength), MinCount = parse.GetValue(minCount), Epochs = parse.GetValue(epochs),
            }));
            options.Validate();
            string dir = parse.GetValue(outDir)!;
            var resume = run.Prepare(parse, dir, ClassifierCheckpoint.Kind);
            if (!train.Given(parse)) throw new UsageException("Give training data: --train PATH and/or --train-lines LABEL=FILE.");

            string tf = parse.GetValue(textField)!, lf = parse.GetValue(labelField)!;
            var trainExamples = train.Read(parse, tf, lf);
            List<LabelledText> devExamples;
            if (parse.GetValue(dropConflicts))
            {
                (trainExamples, int conflicts) = LabelledTexts.DropConflicts(trainExamples);
                Console.WriteLine($"Dropped {conflicts:N0} texts that occur with more than one label.");
            }
            if (dev.Given(parse)) devExamples = dev.Read(parse, tf, lf);
            else (trainExamples, devExamples) = LabelledTexts.Split(trainExamples, parse.GetValue(devFraction), options.Seed);

            var training = new ClassifierTraining(options, trainExamples, devExamples);
            var trainer = new Trainer<int[]>(training, training.Run(dir, resume) with { Overwrite = parse.GetValue(run.Overwrite) });
            Console.WriteLine($"{(options.Bidirectional ? "bi" : "")}{options.Cell.ToCliName()} {options.Layers}×{options.Hidden}, {options.Pooling.ToString().ToLowerInvariant()} pooling, " +
                              $"{options.Level.ToString().ToLowerInvariant()} (first {options.MaxLength:N0}, {training.Symbols.Count} symbols), labels {string.Join(", ", training.Labels)}; " +
                              $"{training.TrainCount:N0} training and {training.DevCount:N0} dev texts, {options.Epochs} epochs" +
                              (resume is not null ? $", resuming after step {trainer.Cursor.Step}" : "") + ".");
            return TrainRunner.Run(trainer, dir, "sym");
        }));
        return command;
    }

    public static Command Eval()
    {
        var checkpointArg = new Argument<string>("checkpoint") { Description = "A classifier checkpoint file or training directory." };
        var data = new LabelledDataOptions("data", "Labelled texts to score");
        var textField = TextField();
        var labelField = LabelField();
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var weights = WeightPrecisions.Option("Score the model with its weight matrices kept so: bf16 rounds every matrix a product reads (recurrent and output weights; embeddings and biases stay float32), to measure what bfloat16 weights cost in accuracy. The forward still computes in float32.");
        var command = new Command("eval", "Score a classifier on labelled texts: accuracy, per-class precision, recall and F1, confusion matrix.")
        {
            checkpointArg, textField, labelField, json, weights,
        };
        foreach (var o in data.All) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var precision = WeightPrecisions.Parse(parse.GetValue(weights)!); // an impossible option before any file is read
            if (!data.Given(parse)) throw new UsageException("Give the data to score: --data PATH and/or --data-lines LABEL=FILE.");
            var checkpoint = ClassifierCheckpoint.Load(parse.GetValue(checkpointArg)!);
            WeightRounding.RoundMatrixWeights(checkpoint.Model, precision);
            var examples = data.Read(parse, parse.GetValue(textField)!, parse.GetValue(labelField)!);
            var (sequences, classes) = ClassifierTraining.Encode(examples, checkpoint.Symbols, checkpoint.Labels, "evaluation");
            var (loss, metrics) = ClassifierTraining.Evaluate(checkpoint.Model, sequences, classes, checkpoint.Labels, batchSize: 64);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    examples = metrics.Total,
                    weights = WeightPrecisions.Name(precision),
                    accuracy = metrics.Accuracy,
                    macro_f1 = metrics.MacroF1,
                    loss,
                    classes = metrics.PerClass().Select(s => new { label = s.Label, precision = s.Precision, recall = s.Recall, f1 = s.F1, support = s.Support }),
                    labels = metrics.Labels,
                    confusion = metrics.Confusion,
                }));
                return 0;
            }
            Console.WriteLine(FormatReport(metrics, loss));
            return 0;
        }));
        return command;
    }

    /// <summary>Accuracy, a per-class table and the confusion matrix (rows: true label, columns: predicted).</summary>
    internal static string FormatReport(ClassificationMetrics metrics, double loss)
    {
        var sb = new System.Text.StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(string.Create(inv, $"{metrics.Total:N0} texts, accuracy {metrics.Accuracy:P2}, macro F1 {metrics.MacroF1:F4}, loss {loss:F4}"));
        int width = Math.Max(9, metrics.Labels.Max(l => l.Length) + 2);
        sb.AppendLine($"{"label".PadRight(width)}{"precision",10}{"recall",10}{"F1",10}{"support",10}");
        foreach (var s in metrics.PerClass())
            sb.AppendLine(string.Create(inv, $"{s.Label.PadRight(width)}{s.Precision,10:F4}{s.Recall,10:F4}{s.F1,10:F4}{s.Support,10}"));
        sb.AppendLine("confusion (rows: true, columns: predicted)");
        sb.Append("".PadRight(width));
        foreach (var l in metrics.Labels) sb.Append(l.PadLeft(width));
        sb.AppendLine();
        for (int i = 0; i < metrics.Labels.Count; i++)
        {
            sb.Append(metrics.Labels[i].PadRight(width));
            foreach (int c in metrics.Confusion[i]) sb.Append(c.ToString(inv).PadLeft(width));
            sb.AppendLine();
        }
        return sb.ToString().TrimEnd();
    }

    public static Command Predict()
    {
        var checkpointArg = new Argument<string>("checkpoint") { Description = "A classifier checkpoint file or training directory." };
        var input = new Option<string>("--input") { Description = "Texts to classify: a file of JSON lines (text in --text-field) or plain lines, or - for standard input.", DefaultValueFactory = _ => "-" };
        var textField = TextField();
        var json = new Option<bool>("--json") { Description = "One JSON object per text, with every class's probability." };
        var command = new Command("predict", "Classify texts, one per line: prints the label and its probability per line. Characters the model never saw read as the unknown symbol.")
        {
            checkpointArg, input, textField, json,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var checkpoint = ClassifierCheckpoint.Load(parse.GetValue(checkpointArg)!);
            var texts = LabelledTextReader.ReadTexts(parse.GetValue(input)!, parse.GetValue(textField)!);
            var probabilities = checkpoint.Predict(texts);
            int K = checkpoint.Labels.Length;
            var output = Console.Out;
            for (int n = 0; n < texts.Count; n++)
            {
                var p = probabilities.AsSpan(n * K, K);
                int k = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p);
                if (parse.GetValue(json))
                {
                    var all = new Dictionary<string, double>();
                    for (int j = 0; j < K; j++) all[checkpoint.Labels[j]] = Math.Round(p[j], 6);
                    output.WriteLine(JsonSerializer.Serialize(new { label = checkpoint.Labels[k], probability = Math.Round(p[k], 6), probabilities = all }));
                }
                else output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{checkpoint.Labels[k]}\t{p[k]:F4}"));
            }
            return 0;
        }));
        return command;
    }

    private static SequencePooling ParsePooling(string text) => text.ToLowerInvariant() switch
    {
        "last" => SequencePooling.Last,
        "mean" => SequencePooling.Mean,
        "max" => SequencePooling.Max,
        _ => throw new UsageException($"Unknown --pool '{text}': expected last, mean or max."),
    };
}
