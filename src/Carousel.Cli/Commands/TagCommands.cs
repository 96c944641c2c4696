using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Carousel.IO;
using Carousel.Diagnostics;
using Carousel.Data;
using Carousel.Data.Tagging;
using Carousel.Layers.Recurrent;
using Carousel.Training;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;
using Carousel.Training.Tagging;

namespace Carousel.Cli.Commands;

/// <summary>`carousel tag train|eval|predict|baseline`: one label per character (many-to-many in step), truecasing built in.</summary>
internal static class TagCommands
{
    public static Command Create() => new("tag", "Sequence tagging: one label per character (e.g. truecasing: restore capitals in lowercased text).")
    {
        Train(), Eval(), Predict(), Baseline(),
    };

    private static Option<string> TextField() => new("--text-field") { Description = "JSON field holding the text.", DefaultValueFactory = _ => "text" };
    private static Option<string> TagsField() => new("--tags-field") { Description = "JSON field holding the labels: a string of one label character per text character, or an array of labels.", DefaultValueFactory = _ => "tags" };
    private static Option<double> HeldOutFraction() => new("--val-fraction") { Description = "With --truecase: the last share of the text held out for evaluation (never trained on).", DefaultValueFactory = _ => 0.1 };

    /// <summary>The default --max-length of --truecase: its blocks of whole lines, in characters.</summary>
    private const int TruecaseBlock = 256;

    /// <summary>
    /// The default --max-length of JSON-lines examples, in characters: sentences and paragraphs fit; a longer example is most
    /// likely a whole document on one line (a 10-million-character one ran out of memory, as it needs B × T × H activations).
    /// </summary>
    private const int LongestExample = 1000;

    private static Command Train()
    {
        var d = new TaggerTrainingOptions();
        var train = new Option<string>("--train") { Description = "JSON lines of training examples (see --text-field, --tags-field)." };
        var dev = new Option<string>("--dev") { Description = "JSON lines of dev examples (default: the last --dev-fraction of --train)." };
        var truecase = new Option<string>("--truecase") { Description = "Plain UTF-8 text: learn truecasing. Trains on the first 1 − --val-fraction, minus the dev share at its end." };
        var heldOut = HeldOutFraction();
        var devFraction = new Option<double>("--dev-fraction") { Description = "Share at the end of the training part used as dev data to pick the best model (0: none, keep the last).", DefaultValueFactory = _ => 0.05 };
        var maxLength = new Option<int?>("--max-length")
        {
            Description = $"Longest sequence, in characters. With --truecase: longest block of whole lines (default {TruecaseBlock}). With --train and --dev: " +
                          $"a longer example is refused naming its file:line, or cut with --cut-long (default {LongestExample}).",
        };
        var cutLong = new Option<bool>("--cut-long") { Description = "With --train and --dev: keep the first --max-length characters (and their labels) of a longer example instead of refusing it." };
        var textField = TextField();
        var tagsField = TagsField();
        var outDir = new Option<string>("--out") { Description = "Directory for checkpoint.safetensors (best model), model.safetensors and metrics.jsonl.", Required = true };
        var run = new ResumeOptions("--epochs or --steps");
        var cell = new Option<string>("--cell") { Description = CellKinds.CliNames + ".", DefaultValueFactory = _ => "lstm" };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per layer and direction.", DefaultValueFactory = _ => d.Hidden };
        var layers = new Option<int>("--layers") { Description = "Recurrent layers.", DefaultValueFactory = _ => d.Layers };
        var bidirectional = new Option<bool>("--bidirectional") { Description = "Read each sequence both ways (a label may depend on what follows)." };
        var embedding = new Option<int>("--embedding") { Description = "Character embedding size.", DefaultValueFactory = _ => d.Embedding };
        var dropout = new Option<float>("--dropout") { Description = "Dropout between layers while training.", DefaultValueFactory = _ => 0f };
        var loop = new TrainingLoopOptions(d, "sequences");
        var epochs = loop.Epochs(d.Epochs);
        var steps = new Option<long>("--steps") { Description = "Optimizer steps (overrides --epochs when positive).", DefaultValueFactory = _ => 0 };
        var evalEvery = new Option<long>("--eval-every") { Description = "Steps between dev evaluations (0: once per epoch).", DefaultValueFactory = _ => 0 };

        var command = new Command("train", "Train a character tagger on JSON lines (--train) or learn truecasing from plain text (--truecase).")
        {
            train, dev, truecase, heldOut, devFraction, maxLength, cutLong, textField, tagsField, outDir, cell, hidden, layers, bidirectional,
            embedding, dropout, epochs, steps, evalEvery,
        };
        var model = new RecurrentModelOptions("characters");
        foreach (var o in run.All.Concat(loop.All).Concat(model.All)) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var options = loop.Read(parse, model.Read(parse, new TaggerTrainingOptions
            {
                Cell = CellKinds.Parse(parse.GetValue(cell)!), Hidden = parse.GetValue(hidden), Layers = parse.GetValue(layers),
                Bidirectional = parse.GetValue(bidirectional), Embedding = parse.GetValue(embedding), Dropout = parse.GetValue(dropout),
                Epochs = parse.GetValue(epochs), Steps = parse.GetValue(steps), EvalEvery = parse.GetValue(evalEvery),
            }));
            options.Validate();
            double devShare = parse.GetValue(devFraction);
            if (!(devShare >= 0 && devShare < 1)) throw new UsageException($"--dev-fraction must be in [0, 1), got {devShare}.");
            string dir = parse.GetValue(outDir)!;
            var resume = run.Prepare(parse, dir, TaggerCheckpoint.Kind);

            string? trainPath = parse.GetValue(train), devPath = parse.GetValue(dev), truecasePath = parse.GetValue(truecase);
            if ((trainPath is null) == (truecasePath is null)) throw new UsageException("Give either --train FILE.jsonl or --truecase FILE.txt.");
            List<TaggedExample> trainExamples, devExamples;
            TaggingTask task;
            int? maxGiven = parse.GetValue(maxLength);
            if (maxGiven is <= 0) throw new UsageException($"--max-length must be positive, got {maxGiven}.");
            if (truecasePath is not null)
            {
                if (devPath is not null) throw new UsageException("--dev goes with --train; with --truecase the dev data is --dev-fraction of the text.");
                if (parse.GetValue(cutLong)) throw new UsageException("--cut-long goes with --train; --truecase cuts its text into blocks of --max-length.");
                int max = maxGiven ?? TruecaseBlock;
                task = TaggingTask.ForTruecasing(max);
                var (trainText, _) = Truecasing.Split(TextCorpus.ReadText(truecasePath), HeldOut(parse.GetValue(heldOut)));
                var (fitText, devText) = Truecasing.Split(trainText, devShare);
                trainExamples = Truecasing.Examples(fitText, max, truecasePath);
                devExamples = devText.Length > 0 ? Truecasing.Examples(devText, max, truecasePath) : [];
                if (trainExamples.Count == 0) throw new UsageException($"The training part of '{truecasePath}' is empty; use a longer text or a smaller --val-fraction.");
            }
            else
            {
                var fields = (parse.GetValue(textField)!, parse.GetValue(tagsField)!);
                int max = maxGiven ?? LongestExample;
                bool cut = parse.GetValue(cutLong);
                var all = TaggedJsonLines.Read(trainPath!, fields.Item1, fields.Item2, requireTags: true, max, cut);
                if (devPath is not null)
                {
                    trainExamples = all;
                    devExamples = TaggedJsonLines.Read(devPath, fields.Item1, fields.Item2, requireTags: true, max, cut);
                }
                else
                {
                    int devCount = (int)(all.Count * devShare);
                    trainExamples = all[..(all.Count - devCount)];
                    devExamples = all[(all.Count - devCount)..];
                }
                bool oneCharacterLabels = all.All(e => e.Labels!.All(l => TaggedExample.CharacterCount(l) == 1));
                task = new TaggingTask(TaggingTask.JsonLines, fields.Item1, fields.Item2, oneCharacterLabels ? TagsFormat.String : TagsFormat.Array);
            }
            var vocabulary = TaggingVocabulary.FromExamples(trainExamples, task.IsTruecasing ? Truecasing.Labels : null);
            var training = new TaggerTraining(vocabulary, trainExamples, devExamples, options, task);
            var trainer = new Trainer<int[]>(training, training.Run(dir, resume) with { Overwrite = parse.GetValue(run.Overwrite) });
            long trainCharacters = trainExamples.Sum(e => (long)e.Length), devCharacters = devExamples.Sum(e => (long)e.Length);
            Console.WriteLine($"{(options.Bidirectional ? "bidirectional " : "")}{options.Cell.ToCliName()} {options.Layers}×{options.Hidden}, " +
                              $"{vocabulary.Characters.Count} characters, labels {string.Join(" ", vocabulary.Labels)}; " +
                              $"{trainExamples.Count:N0} training sequences ({trainCharacters:N0} characters), {devExamples.Count:N0} dev ({devCharacters:N0}); " +
                              $"{training.PlannedSteps} steps ({training.StepsPerEpoch} per epoch)" +
                              (resume is not null ? $", resuming at step {trainer.Cursor.Step}" : "") + ".");
            return TrainRunner.Run(trainer, dir, "chars");
        }));
        return command;
    }

    /// <summary>--batch-size and --threads of tag eval and predict, checked alike.</summary>
    private sealed class InferenceOptions
    {
        public readonly Option<int> BatchSize = new("--batch-size") { Description = "Sequences per batch.", DefaultValueFactory = _ => 64 };
        public readonly Option<int> Threads = new("--threads") { Description = "Threads for the matrix kernels.", DefaultValueFactory = _ => Math.Min(2, Environment.ProcessorCount) };

        public IEnumerable<Option> All => [BatchSize, Threads];

        /// <summary>The batch size; gives the matrix kernels their threads. Either not positive is an error.</summary>
        public int Read(ParseResult parse)
        {
            int batch = parse.GetValue(BatchSize), threads = parse.GetValue(Threads);
            if (batch <= 0) throw new UsageException($"--batch-size must be positive, got {batch}.");
            if (threads <= 0) throw new UsageException($"--threads must be positive, got {threads}.");
            using var threadScope = Carousel.Kernels.Gemm.UseThreads(threads);
            return batch;
        }
    }

    private static Command Eval()
    {
        var checkpointArg = new Argument<string>("checkpoint") { Description = "A tagger checkpoint file or training directory." };
        var data = new Option<string>("--data") { Description = "JSON lines with text and labels (fields as in training unless --text-field/--tags-field are given)." };
        var truecase = new Option<string>("--truecase") { Description = "Plain text: score truecasing on its last --val-fraction (the part training held out)." };
        var heldOut = HeldOutFraction();
        var textField = new Option<string>("--text-field") { Description = "JSON field holding the text (default: as in training)." };
        var tagsField = new Option<string>("--tags-field") { Description = "JSON field holding the labels (default: as in training)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON line." };
        var inference = new InferenceOptions();
        var command = new Command("eval", "Score a tagger: character accuracy and per-label precision, recall and F1.")
        {
            checkpointArg, data, truecase, heldOut, textField, tagsField, json,
        };
        foreach (var o in inference.All) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            int batch = inference.Read(parse);
            string? dataPath = parse.GetValue(data), truecasePath = parse.GetValue(truecase);
            if ((dataPath is null) == (truecasePath is null)) throw new UsageException("Give either --data FILE.jsonl or --truecase FILE.txt.");
            var checkpoint = TaggerCheckpoint.Load(parse.GetValue(checkpointArg)!);
            List<TaggedExample> examples;
            string source;
            if (truecasePath is not null)
            {
                if (!checkpoint.Vocabulary.HasLabel(Truecasing.Upper) || !checkpoint.Vocabulary.HasLabel(Truecasing.Lower))
                    throw new UsageException($"--truecase needs a truecasing model; this one tags with {string.Join(", ", checkpoint.Vocabulary.Labels)}.");
                (examples, source) = TruecaseHeldOut(truecasePath, parse.GetValue(heldOut), checkpoint.Task.MaxLength);
            }
            else
            {
                examples = TaggedJsonLines.Read(dataPath!, parse.GetValue(textField) ?? checkpoint.Task.TextField, parse.GetValue(tagsField) ?? checkpoint.Task.TagsField, requireTags: true);
                source = dataPath!;
            }
            var sequences = new TaggedSequences(examples, checkpoint.Vocabulary, withLabels: true); // labels training never saw fail here
            var metrics = new ClassificationMetrics(checkpoint.Vocabulary.Labels);
            TaggerInference.Predict(checkpoint.Model, sequences, batch, metrics);
            Report(source, metrics, checkpoint.Task, parse.GetValue(json));
            return 0;
        }));
        return command;
    }

    private static Command Predict()
    {
        var checkpointArg = new Argument<string>("checkpoint") { Description = "A tagger checkpoint file or training directory." };
        var input = new Option<string>("--input") { Description = "UTF-8 text to tag (default: standard input). Truecasing: any text, printed with capitals restored; other taggers: one sequence per line (or JSON lines with --jsonl), printed as JSON lines with the labels." };
        var jsonl = new Option<bool>("--jsonl") { Description = "The input is JSON lines holding the text field (not for truecasing)." };
        var inference = new InferenceOptions();
        var command = new Command("predict", "Tag text with a trained tagger; for truecasing, print the text with its capitals restored.")
        {
            checkpointArg, input, jsonl,
        };
        foreach (var o in inference.All) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            int batch = inference.Read(parse);
            var checkpoint = TaggerCheckpoint.Load(parse.GetValue(checkpointArg)!);
            var task = checkpoint.Task;
            string? path = parse.GetValue(input);
            string source = path ?? "standard input";
            var output = Console.Out;
            if (task.IsTruecasing)
            {
                if (parse.GetValue(jsonl)) throw new UsageException("A truecasing model reads plain text; drop --jsonl.");
                string text = path is null ? Console.In.ReadToEnd() : TextCorpus.ReadText(path);
                if (text.Length == 0) throw new InvalidDataException($"{source}: no text to tag.");
                var blocks = Truecasing.Examples(Truecasing.Lowercase(text), task.MaxLength, source);
                var predictions = TaggerInference.Predict(checkpoint.Model, new TaggedSequences(blocks, checkpoint.Vocabulary, withLabels: false), batch);
                for (int i = 0; i < blocks.Count; i++)
                    output.Write(Truecasing.Restore(blocks[i].Text, [.. predictions[i].Select(checkpoint.Vocabulary.Label)]));
                output.Flush();
                return 0;
            }

            List<TaggedExample> examples;
            if (parse.GetValue(jsonl))
            {
                if (path is null) throw new UsageException("--jsonl needs --input FILE.");
                examples = TaggedJsonLines.Read(path, task.TextField, task.TagsField, requireTags: false);
            }
            else
            {
                string text = path is null ? Console.In.ReadToEnd() : TextCorpus.ReadText(path);
                var lines = text.Split('\n');
                int count = text.EndsWith('\n') ? lines.Length - 1 : lines.Length; // no sequence after a final newline
                examples = [];
                for (int i = 0; i < count; i++)
                {
                    string line = lines[i].TrimEnd('\r');
                    if (line.Length == 0) throw new InvalidDataException($"{source}:{i + 1}: an empty sequence.");
                    examples.Add(new TaggedExample(line, null, $"{source}:{i + 1}"));
                }
                if (examples.Count == 0) throw new InvalidDataException($"{source}: no text to tag.");
            }
            var tags = TaggerInference.Predict(checkpoint.Model, new TaggedSequences(examples, checkpoint.Vocabulary, withLabels: false), batch);
            for (int i = 0; i < examples.Count; i++)
                output.WriteLine(TaggedJsonLines.Format(examples[i].Text, [.. tags[i].Select(checkpoint.Vocabulary.Label)], task.TextField, task.TagsField, task.Format));
            output.Flush();
            return 0;
        }));
        return command;
    }

    private static Command Baseline()
    {
        var truecase = new Option<string>("--truecase") { Description = "Plain text: score the rule baseline on its last --val-fraction.", Required = true };
        var heldOut = HeldOutFraction();
        var maxLength = new Option<int>("--max-length") { Description = "Block length, as in training (does not change the rules' result).", DefaultValueFactory = _ => 256 };
        var json = new Option<bool>("--json") { Description = "Print one JSON line." };
        var command = new Command("baseline", "Score the rule baseline for truecasing (capitalise line starts, sentence starts and \"I\") on the same held-out part as eval.")
        {
            truecase, heldOut, maxLength, json,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var (examples, source) = TruecaseHeldOut(parse.GetValue(truecase)!, parse.GetValue(heldOut), parse.GetValue(maxLength));
            var metrics = new ClassificationMetrics(Truecasing.Labels);
            var ids = new Dictionary<string, int> { [Truecasing.Lower] = 0, [Truecasing.Upper] = 1 };
            foreach (var example in examples)
            {
                var predicted = Truecasing.Baseline(example.Text);
                for (int i = 0; i < predicted.Length; i++) metrics.Add(ids[example.Labels![i]], ids[predicted[i]]);
            }
            Report(source, metrics, TaggingTask.ForTruecasing(parse.GetValue(maxLength)), parse.GetValue(json));
            return 0;
        }));
        return command;
    }

    private static double HeldOut(double fraction) =>
        fraction >= 0 && fraction < 1 ? fraction : throw new UsageException($"--val-fraction must be in [0, 1), got {fraction}.");

    // The last share of a text as truecasing examples (a share of 1 scores the whole text).
    private static (List<TaggedExample> Examples, string Source) TruecaseHeldOut(string path, double fraction, int maxLength)
    {
        if (!(fraction > 0 && fraction <= 1)) throw new UsageException($"--val-fraction must be in (0, 1], got {fraction}.");
        var (_, heldOut) = Truecasing.Split(TextCorpus.ReadText(path), fraction);
        if (heldOut.Length == 0) throw new UsageException($"The last {fraction:P0} of '{path}' is empty; use a larger --val-fraction.");
        string source = fraction < 1 ? $"{path} (last {fraction.ToString("P0", CultureInfo.InvariantCulture)})" : path;
        return (Truecasing.Examples(heldOut, maxLength, path), source);
    }

    private static string Summary(ClassificationMetrics m, TaggingTask task)
    {
        string accuracy = $"accuracy {m.Accuracy:P2}";
        return task.KeyLabel is { } key && m.Labels.Contains(key) ? $"{accuracy}  F1({key}) {m.Scores(key).F1:F4}" : accuracy;
    }

    private static void Report(string source, ClassificationMetrics metrics, TaggingTask task, bool json)
    {
        if (json)
        {
            var record = TaggerTraining.MetricsRecord(metrics);
            record["data"] = source;
            if (task.KeyLabel is { } key && metrics.Labels.Contains(key)) record["f1_" + key] = Math.Round(metrics.Scores(key).F1, 6);
            Console.WriteLine(JsonSerializer.Serialize(record));
            return;
        }
        var sb = new StringBuilder();
        sb.AppendLine($"{source}: {metrics.Total:N0} characters, accuracy {metrics.Accuracy:P2}" +
                      (double.IsNaN(metrics.MeanLoss) ? "" : $", loss {metrics.MeanLoss:F4} nats/char"));
        int width = Math.Max(5, metrics.Labels.Max(l => l.Length));
        sb.AppendLine($"{"label".PadRight(width)}  precision  recall     F1  support");
        foreach (var s in metrics.PerClass())
            sb.AppendLine($"{s.Label.PadRight(width)}  {s.Precision,9:F4}  {s.Recall,6:F4}  {s.F1,6:F4}  {s.Support,7}");
        if (task.KeyLabel is { } k && metrics.Labels.Contains(k)) sb.AppendLine($"F1({k}) = {metrics.Scores(k).F1:F4}");
        Console.Write(sb.ToString());
    }
}
