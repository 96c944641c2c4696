using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Carousel.Data;
using Carousel.IO;
using Carousel.Layers.Recurrent;
using Carousel.Training;
using Carousel.Training.Ctc;

namespace Carousel.Cli.Commands;

/// <summary>`carousel ctc train|eval|predict`: label sequences from real-valued frames (speech features) with CTC.</summary>
internal static class CtcCommands
{
    public static Command Create() => new("ctc", "Connectionist temporal classification: read label sequences (spoken digits, …) out of frames of real-valued features.")
    {
        Train(), Eval(), Predict(),
    };

    private const string DataFormats = "JSON lines ({\"frames\": [[…], …], \"labels\": \"123\" or [\"one\", \"two\"]}, plain or gzip) or the binary form (FILE.safetensors: frames + offsets)";

    private static Option<string> LabelsField() => new("--labels-field") { Description = "JSON field holding each sequence's labels.", DefaultValueFactory = _ => "labels" };

    private static Command Train()
    {
        var d = new CtcTrainingOptions();
        var train = new Option<string>("--train") { Description = $"Training sequences: {DataFormats}.", Required = true };
        var dev = new Option<string>("--dev") { Description = "Dev sequences that pick the best model (default: --dev-fraction of --train)." };
        var devFraction = new Option<double>("--dev-fraction") { Description = "Without --dev: the share of --train (its last sequences) used as dev data (0: none, keep the last model).", DefaultValueFactory = _ => 0.1 };
        var labelsField = LabelsField();
        var outDir = new Option<string>("--out") { Description = "Directory for checkpoint.safetensors (best model), model.safetensors and metrics.jsonl.", Required = true };
        var run = new ResumeOptions();
        var cell = new Option<string>("--cell") { Description = CellKinds.CliNames + ".", DefaultValueFactory = _ => "lstm" };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per layer and direction.", DefaultValueFactory = _ => d.Hidden };
        var layers = new Option<int>("--layers") { Description = "Recurrent layers.", DefaultValueFactory = _ => d.Layers };
        var bidirectional = new Option<bool>("--bidirectional") { Description = "Read each sequence both ways (each step's output sees the whole sequence)." };
        var dropout = new Option<float>("--dropout") { Description = "Dropout between layers while training.", DefaultValueFactory = _ => d.Dropout };
        var loop = new TrainingLoopOptions(d, "sequences");
        var epochs = loop.Epochs(d.Epochs);
        var evalEvery = new Option<long>("--eval-every") { Description = "Steps between dev evaluations (0: once per epoch).", DefaultValueFactory = _ => 0 };
        var beam = new Option<int>("--beam") { Description = "Beam width that decodes the dev set (1: greedy).", DefaultValueFactory = _ => d.Beam };
        var stack = new Option<int>("--stack") { Description = "Frames stacked side by side into one step (a k times lower frame rate; eval and predict do the same).", DefaultValueFactory = _ => d.Stack };

        var command = new Command("train", "Train frames → recurrent stack → Linear → log-softmax with the CTC loss; the model with the lowest dev label error rate is kept.")
        {
            train, dev, devFraction, labelsField, outDir, cell, hidden, layers, bidirectional, dropout, epochs, evalEvery, beam, stack,
        };
        foreach (var o in run.All.Concat(loop.All)) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var options = loop.Read(parse, new CtcTrainingOptions
            {
                Cell = CellKinds.Parse(parse.GetValue(cell)!), Hidden = parse.GetValue(hidden), Layers = parse.GetValue(layers),
                Bidirectional = parse.GetValue(bidirectional), Dropout = parse.GetValue(dropout), Epochs = parse.GetValue(epochs),
                EvalEvery = parse.GetValue(evalEvery), Beam = parse.GetValue(beam), Stack = parse.GetValue(stack),
            });
            options.Validate();
            double devShare = parse.GetValue(devFraction);
            if (!(devShare >= 0 && devShare < 1)) throw new UsageException($"--dev-fraction must be in [0, 1), got {devShare}.");
            string dir = parse.GetValue(outDir)!;
            var resume = run.Prepare(parse, dir, CtcCheckpoint.Kind);
            string field = parse.GetValue(labelsField)!;
            var all = FrameSafeTensors.ReadAny(parse.GetValue(train)!, null, field, requireLabels: true);
            List<FrameSequence> trainSet, devSet;
            if (parse.GetValue(dev) is { } devPath)
            {
                trainSet = all;
                devSet = FrameSafeTensors.ReadAny(devPath, null, field, requireLabels: true);
            }
            else
            {
                int devCount = (int)(all.Count * devShare);
                trainSet = all[..(all.Count - devCount)];
                devSet = all[(all.Count - devCount)..];
                if (trainSet.Count == 0) throw new UsageException($"--dev-fraction {devShare} leaves no training sequences.");
            }
            var training = new CtcTraining(trainSet, devSet, options);
            var trainer = new Trainer<int[]>(training, training.Run(dir, resume) with { Overwrite = parse.GetValue(run.Overwrite) });
            long trainFrames = trainSet.Sum(s => (long)s.Steps), devFrames = devSet.Sum(s => (long)s.Steps);
            Console.WriteLine($"{(options.Bidirectional ? "bidirectional " : "")}{options.Cell.ToCliName()} {options.Layers}×{options.Hidden} over frames of {trainSet[0].Width} features{(options.Stack > 1 ? $" stacked by {options.Stack}" : "")}; " +
                              $"labels {string.Join(" ", CtcLabels.FromSequences(trainSet).Labels)} and the blank; " +
                              $"{trainSet.Count:N0} training sequences ({trainFrames:N0} frames), {devSet.Count:N0} dev ({devFrames:N0}); " +
                              $"{training.PlannedSteps} steps ({training.StepsPerEpoch} per epoch)" +
                              (resume is not null ? $", resuming at step {trainer.Cursor.Step}" : "") + ".");
            return TrainRunner.Run(trainer, dir, "frames");
        }));
        return command;
    }

    /// <summary>--batch-size and --threads of ctc eval and predict, checked alike.</summary>
    private sealed class InferenceOptions
    {
        public readonly Option<int> BatchSize = new("--batch-size") { Description = "Sequences per batch.", DefaultValueFactory = _ => 32 };
        public readonly Option<int> Threads = new("--threads") { Description = "Threads for the matrix kernels.", DefaultValueFactory = _ => 1 };

        public IEnumerable<Option> All => [BatchSize, Threads];

        /// <summary>The batch size and the thread count; either not positive is an error.</summary>
        public (int BatchSize, int Threads) Read(ParseResult parse)
        {
            int batch = parse.GetValue(BatchSize), threads = parse.GetValue(Threads);
            if (batch <= 0) throw new UsageException($"--batch-size must be positive, got {batch}.");
            if (threads <= 0) throw new UsageException($"--threads must be positive, got {threads}.");
            return (batch, threads);
        }
    }

    private static Option<int> Beam(int defaultWidth, string what) => new("--beam") { Description = what, DefaultValueFactory = _ => defaultWidth };

    private static int CheckBeam(int beam) => beam is >= 1 and <= 1000 ? beam : throw new UsageException($"--beam must be in 1..1000, got {beam}.");

    private static Command Eval()
    {
        var checkpointArg = new Argument<string>("checkpoint") { Description = "A CTC checkpoint file or training directory." };
        var data = new Option<string>("--data") { Description = $"Labelled sequences: {DataFormats}.", Required = true };
        var labelsField = LabelsField();
        var beam = Beam(8, "Beam width of the prefix beam search, scored beside greedy decoding (1: greedy only).");
        var json = new Option<bool>("--json") { Description = "Print one JSON line." };
        var inference = new InferenceOptions();
        var command = new Command("eval", "Score a CTC model: label error rate (edits / reference labels) and sequence accuracy, greedy and with a beam.")
        {
            checkpointArg, data, labelsField, beam, json,
        };
        foreach (var o in inference.All) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var (batch, threads) = inference.Read(parse);
            int width = CheckBeam(parse.GetValue(beam));
            using var threadScope = Carousel.Kernels.Gemm.UseThreads(threads);
            var checkpoint = CtcCheckpoint.Load(parse.GetValue(checkpointArg)!);
            string path = parse.GetValue(data)!;
            var sequences = new CtcSequences(FrameSafeTensors.ReadAny(path, null, parse.GetValue(labelsField)!, requireLabels: true),
                checkpoint.Normalization, checkpoint.Labels, withLabels: true, checkpoint.Options.Stack);
            var loss = new CtcLossTotal();
            var results = new List<(string Name, Carousel.Diagnostics.TranscriptionMetrics Metrics)>
            {
                ("greedy", CtcInference.Score(CtcInference.Decode(checkpoint.Model, sequences, batch, 1, loss), sequences.Targets!)),
            };
            if (width > 1) results.Add(($"beam {width}", CtcInference.Score(CtcInference.Decode(checkpoint.Model, sequences, batch, width), sequences.Targets!)));
            if (parse.GetValue(json))
            {
                var record = new System.Text.Json.Nodes.JsonObject { ["data"] = path, ["loss"] = Evaluation.Number(loss.Mean, 6) };
                foreach (var (name, m) in results) record[name.Replace(' ', '_')] = CtcTraining.MetricsRecord(m, loss.Mean);
                Console.WriteLine(record.ToJsonString());
                return 0;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{path}: {sequences.Count:N0} sequences, {results[0].Metrics.ReferenceLength:N0} labels, loss {loss.Mean:F4} per label"));
            foreach (var (name, m) in results)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name,-8}  label error rate {m.PhonemeErrorRate:P2} ({m.Edits:N0} edits)  sequence accuracy {1 - m.WordErrorRate:P2} ({m.Words - m.WrongWords:N0}/{m.Words:N0})"));
            return 0;
        }));
        return command;
    }

    private static Command Predict()
    {
        var checkpointArg = new Argument<string>("checkpoint") { Description = "A CTC checkpoint file or training directory." };
        var input = new Option<string>("--input") { Description = $"Sequences to read: {DataFormats}; labels, if present, are ignored.", Required = true };
        var beam = Beam(1, "Beam width of the prefix beam search (1: greedy).");
        var inference = new InferenceOptions();
        var command = new Command("predict", "Print the label sequence a CTC model reads in each input sequence, one line each (labels of one character joined, others separated by spaces).")
        {
            checkpointArg, input, beam,
        };
        foreach (var o in inference.All) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var (batch, threads) = inference.Read(parse);
            int width = CheckBeam(parse.GetValue(beam));
            using var threadScope = Carousel.Kernels.Gemm.UseThreads(threads);
            var checkpoint = CtcCheckpoint.Load(parse.GetValue(checkpointArg)!);
            var sequences = new CtcSequences(FrameSafeTensors.ReadAny(parse.GetValue(input)!, null, null, requireLabels: false),
                checkpoint.Normalization, checkpoint.Labels, withLabels: false, checkpoint.Options.Stack);
            bool joined = checkpoint.Labels.Labels.All(l => l.EnumerateRunes().Count() == 1);
            var output = Console.Out;
            foreach (var ids in CtcInference.Decode(checkpoint.Model, sequences, batch, width))
                output.WriteLine(string.Join(joined ? "" : " ", checkpoint.Labels.Decode(ids)));
            output.Flush();
            return 0;
        }));
        return command;
    }
}
