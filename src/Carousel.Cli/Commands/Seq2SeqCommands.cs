using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Training;
using Carousel.Training.EncoderDecoder;

namespace Carousel.Cli.Commands;

/// <summary>`carousel seq2seq train|eval|predict|average`: encoder-decoder models on SOURCE&lt;TAB&gt;TARGET pairs (spelling → pronunciation).</summary>
internal static class Seq2SeqCommands
{
    public static Command Create() => new("seq2seq", "Sequence to sequence (encoder-decoder, optional attention): train on SOURCE<TAB>TARGET pairs, evaluate PER/WER, predict.")
    {
        Train(), Eval(), Predict(), Average(),
    };

    private static Command Train()
    {
        var d = new Seq2SeqTrainingOptions();
        var train = new Option<string>("--train") { Description = "Training pairs: SOURCE<TAB>TARGET per line, target tokens separated by spaces.", Required = true };
        var dev = new Option<string?>("--dev") { Description = "Dev pairs in the same format, decoded after every epoch; the best by WER is kept (or choose on --inner-dev-fraction / --inner-dev instead)." };
        var innerDevFraction = new Option<double>("--inner-dev-fraction")
        {
            Description = "Hold out this fraction of the training words (all pairs of a source together, drawn by --seed; written to DIR/inner-dev.tsv) as the dev set that chooses the model; " +
                          "the shared dev set is then scored once at the end with `seq2seq eval`.",
        };
        var innerDevSeed = new Option<ulong?>("--inner-dev-seed")
        {
            Description = "Seed of the --inner-dev-fraction split (default: --seed); give runs of an ensemble the same one, so that none of its models trained on the inner dev words.",
        };
        var innerDev = new Option<string?>("--inner-dev") { Description = "Choose the model on this pair file (e.g. a split of the training words) instead of --dev." };
        var inputFeeding = new Option<bool>("--input-feeding") { Description = "Input feeding (Luong et al. 2015): the attention's output at step t joins the decoder's input at t + 1." };
        var rightToLeft = new Option<bool>("--right-to-left") { Description = "Train a right-to-left model: the decoder writes each target last symbol first (outputs are turned back; ensembles may mix both directions)." };
        var labelSmoothing = new Option<float>("--label-smoothing") { Description = "Label smoothing ε of the training loss (PyTorch's definition), in [0, 1).", DefaultValueFactory = _ => 0f };
        var variational = new Option<bool>("--variational-dropout")
        {
            Description = "Variational dropout on the decoder side: the target embeddings and the output layer's input keep one --dropout mask per sequence for all its steps.",
        };
        var keepEpochs = new Option<int>("--keep-epochs") { Description = "Keep the weights of the last this many epochs in DIR/epochs, for `seq2seq average --last`.", DefaultValueFactory = _ => 0 };
        var outDir = new Option<string>("--out") { Description = "Directory for checkpoint.safetensors (the best so far), model.safetensors and metrics.jsonl.", Required = true };
        var initFrom = new Option<string?>("--init-from") { Description = "Start from this checkpoint's weights (same model options and data symbols) with a fresh optimizer: more epochs at a lower rate, or fine-tuning." };
        var run = new ResumeOptions();
        var sourceTokens = new Option<string>("--source-tokens") { Description = "chars (each character a symbol) or words (space-separated).", DefaultValueFactory = _ => "chars" };
        var cell = new Option<string>("--cell") { Description = CellKinds.CliNames + " (encoder and decoder).", DefaultValueFactory = _ => "lstm" };
        var embedding = new Option<int>("--embedding") { Description = "Embedding size of source and target symbols.", DefaultValueFactory = _ => d.Embedding };
        var hidden = new Option<int>("--hidden") { Description = "Encoder hidden units per layer and direction.", DefaultValueFactory = _ => d.EncoderHidden };
        var layers = new Option<int>("--layers") { Description = "Encoder layers.", DefaultValueFactory = _ => d.EncoderLayers };
        var unidirectional = new Option<bool>("--unidirectional") { Description = "A forward-only encoder (default: bidirectional)." };
        var decoderHidden = new Option<int>("--decoder-hidden") { Description = "Decoder hidden units per layer.", DefaultValueFactory = _ => d.DecoderHidden };
        var decoderLayers = new Option<int>("--decoder-layers") { Description = "Decoder layers.", DefaultValueFactory = _ => d.DecoderLayers };
        var noAttention = new Option<bool>("--no-attention") { Description = "Without attention: the decoder sees the source only through its initial state (default: Luong attention)." };
        var dropout = new Option<float>("--dropout") { Description = "Dropout on embeddings, between layers and before the output, while training.", DefaultValueFactory = _ => d.Dropout };
        var loop = new TrainingLoopOptions(d, "pairs");
        var epochs = loop.Epochs(d.Epochs);
        var evalEvery = new Option<int>("--eval-every") { Description = "Also evaluate on dev every this many steps (0: after each epoch only).", DefaultValueFactory = _ => 0 };
        var evalBeam = new Option<int>("--eval-beam") { Description = "Beam size of the dev evaluation during training (1: greedy).", DefaultValueFactory = _ => 1 };
        var maxLength = MaxLength();

        var command = new Command("train", "Train an encoder-decoder on SOURCE<TAB>TARGET pairs, keeping the checkpoint with the best dev WER.")
        {
            train, dev, outDir, initFrom, sourceTokens, cell, embedding, hidden, layers, unidirectional, decoderHidden, decoderLayers, noAttention,
            dropout, epochs, evalEvery, evalBeam, maxLength, innerDevFraction, innerDev, inputFeeding, labelSmoothing, keepEpochs, variational, innerDevSeed,
            rightToLeft,
        };
        foreach (var o in run.All.Concat(loop.All)) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var options = loop.Read(parse, new Seq2SeqTrainingOptions
            {
                Cell = CellKinds.Parse(parse.GetValue(cell)!), Embedding = parse.GetValue(embedding),
                EncoderHidden = parse.GetValue(hidden), EncoderLayers = parse.GetValue(layers), Bidirectional = !parse.GetValue(unidirectional),
                DecoderHidden = parse.GetValue(decoderHidden), DecoderLayers = parse.GetValue(decoderLayers), Attention = !parse.GetValue(noAttention),
                Dropout = parse.GetValue(dropout), SourceTokens = SequencePairs.ParseSourceTokens(parse.GetValue(sourceTokens)!),
                Epochs = parse.GetValue(epochs), EvalEvery = parse.GetValue(evalEvery), EvalBeam = parse.GetValue(evalBeam),
                InputFeeding = parse.GetValue(inputFeeding), LabelSmoothing = parse.GetValue(labelSmoothing),
                InnerDevFraction = parse.GetValue(innerDevFraction), KeepEpochs = parse.GetValue(keepEpochs), VariationalDropout = parse.GetValue(variational),
                InnerDevSeed = parse.GetValue(innerDevSeed), RightToLeft = parse.GetValue(rightToLeft),
            });
            options.Validate();
            string dir = parse.GetValue(outDir)!;
            if (parse.GetValue(run.Resume) && parse.GetValue(initFrom) is not null)
                throw new UsageException("--resume continues a run with its own weights; it does not go with --init-from.");
            var resume = run.Prepare(parse, dir, Seq2SeqCheckpoint.Kind);
            int longest = CheckMaxLength(parse.GetValue(maxLength));
            var trainPairs = SequencePairs.Read(parse.GetValue(train)!, options.SourceTokens, longest);
            string? devPath = parse.GetValue(dev), innerDevPath = parse.GetValue(innerDev);
            int devSources = (devPath is null ? 0 : 1) + (innerDevPath is null ? 0 : 1) + (options.InnerDevFraction > 0 ? 1 : 0);
            if (options.InnerDevSeed is not null && options.InnerDevFraction == 0) throw new UsageException("--inner-dev-seed seeds the --inner-dev-fraction split; give that too.");
            if (devSources != 1)
                throw new UsageException("Give one set to choose the model on: --dev FILE, --inner-dev FILE or --inner-dev-fraction F " +
                                         "(with an inner dev set the shared dev set is scored once at the end, with `seq2seq eval`).");
            List<SequencePair> devPairs;
            if (options.InnerDevFraction > 0) (trainPairs, devPairs) = WordSplit.BySource(trainPairs, options.InnerDevFraction, options.InnerDevSeed ?? options.Seed);
            else devPairs = SequencePairs.Read((devPath ?? innerDevPath)!, options.SourceTokens, longest);
            var initial = parse.GetValue(initFrom) is { } from ? Seq2SeqCheckpoint.Load(from) : null;
            var training = new Seq2SeqTraining(options, trainPairs, devPairs, initial);
            var trainer = new Trainer<int[]>(training, training.Run(dir, resume) with { Overwrite = parse.GetValue(run.Overwrite) });
            Console.WriteLine($"{options.Cell.ToCliName()} encoder {options.EncoderLayers}×{options.EncoderHidden}{(options.Bidirectional ? " bidirectional" : "")}, " +
                              $"decoder {options.DecoderLayers}×{options.DecoderHidden}{(options.Attention ? " with attention" : "")}{(options.InputFeeding ? " and input feeding" : "")}{(options.RightToLeft ? ", writing right to left" : "")}; " +
                              $"{training.SourceVocabulary.Count - TokenVocabulary.Reserved.Length} source and {training.TargetVocabulary.Count - TokenVocabulary.Reserved.Length} target symbols; " +
                              $"{trainPairs.Count:N0} training pairs, {training.DevWords:N0} {(devPath is null ? "inner dev" : "dev")} words; {options.Epochs} epochs of {trainer.BatchesPerEpoch:N0} steps" +
                              (resume is not null ? $", resuming at step {trainer.Cursor.Step}" : "") + ".");
            int code = TrainRunner.Run(trainer, dir, "sym");
            if (options.InnerDevFraction > 0 && Directory.Exists(dir))
                // the held-out words, so that averages and ensembles can be chosen on them too (the split is the same for the same seed)
                Carousel.IO.AtomicFile.WriteAllText(Path.Combine(dir, InnerDevFileName),
                    string.Concat(devPairs.Select(p => $"{SequencePairs.JoinSource(p.Source, options.SourceTokens)}\t{string.Join(' ', p.Target)}\n")));
            return code;
        }));
        return command;
    }

    /// <summary>DIR/inner-dev.tsv: the pairs --inner-dev-fraction held out of the training data, written by train.</summary>
    private const string InnerDevFileName = "inner-dev.tsv";

    /// <summary>
    /// --max-length: the most source symbols and target tokens of a pair (default 1,000: words and sentences fit; a longer
    /// side is most likely a document on one line, which needs memory in proportion to its length for every layer).
    /// </summary>
    private static Option<int> MaxLength() => new("--max-length")
    {
        Description = "The most source symbols and target tokens of a pair; a longer pair is refused naming its file:line.", DefaultValueFactory = _ => 1000,
    };

    private static int CheckMaxLength(int maxLength) =>
        maxLength > 0 ? maxLength : throw new UsageException($"--max-length must be positive, got {maxLength}.");

    private static Command Eval()
    {
        var checkpointArg = new Argument<string>("checkpoint") { Description = "A seq2seq checkpoint file or training directory." };
        var data = new Option<string>("--data") { Description = "SOURCE<TAB>TARGET pairs to score; lines with the same source are its alternative references.", Required = true };
        var beam = new Option<int>("--beam") { Description = "Beam size (1: greedy).", DefaultValueFactory = _ => 1 };
        var lengthPenalty = new Option<double>("--length-penalty") { Description = "Rank beam hypotheses by log-probability / length^this (0: by log-probability).", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON line." };
        var errors = new Option<string?>("--errors") { Description = "Write the words the model gets wrong (source, output, references) to this file." };
        var threads = new Option<int>("--threads") { Description = "Threads for the matrix kernels.", DefaultValueFactory = _ => 1 };
        var maxLength = MaxLength();
        var ensemble = EnsembleOption();
        var command = new Command("eval", "Decode a pair file and report phoneme error rate (edits to the closest reference / its length) and word error rate (output equal to no reference).")
        {
            checkpointArg, data, beam, lengthPenalty, json, errors, threads, maxLength, ensemble,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            int beams = CheckBeam(parse.GetValue(beam));
            double penalty = CheckPenalty(parse.GetValue(lengthPenalty));
            using var threadScope = Carousel.Kernels.Gemm.UseThreads(CheckThreads(parse.GetValue(threads)));
            var checkpoint = Seq2SeqCheckpoint.Load(parse.GetValue(checkpointArg)!);
            var models = EnsembleModels(checkpoint, parse.GetValue(ensemble));
            string path = parse.GetValue(data)!;
            var groups = SequencePairs.GroupBySource(SequencePairs.Read(path, checkpoint.SourceTokens, CheckMaxLength(parse.GetValue(maxLength))));
            var sources = groups.Select(g => checkpoint.SourceVocabulary.Encode(g.Source, $"{path}: source '{SequencePairs.JoinSource(g.Source, checkpoint.SourceTokens)}'")).ToList();
            var references = groups.Select(g => (IReadOnlyList<string[]>)g.Targets).ToList();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (metrics, outputs) = Seq2SeqEvaluator.Evaluate(models, checkpoint.TargetVocabulary, sources, references, beams, penalty);
            double seconds = clock.Elapsed.TotalSeconds;
            if (parse.GetValue(errors) is { } errorsPath)
            {
                var lines = new List<string>();
                for (int i = 0; i < groups.Count; i++)
                    if (!references[i].Any(r => r.SequenceEqual(outputs[i])))
                        lines.Add($"{SequencePairs.JoinSource(groups[i].Source, checkpoint.SourceTokens)}\t{string.Join(' ', outputs[i])}\t{string.Join(" | ", references[i].Select(r => string.Join(' ', r)))}");
                Carousel.IO.AtomicFile.WriteAllText(errorsPath, string.Join("\n", lines) + (lines.Count > 0 ? "\n" : ""));
            }
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    data = path, models = models.Count, words = metrics.Words, beam = beams, length_penalty = penalty, per = metrics.PhonemeErrorRate, wer = metrics.WordErrorRate,
                    edits = metrics.Edits, reference_length = metrics.ReferenceLength, wrong_words = metrics.WrongWords, seconds = Math.Round(seconds, 2),
                }));
            else
                Console.WriteLine($"{path}: {metrics.Words:N0} words, {(beams == 1 ? "greedy" : $"beam {beams}")}{(models.Count > 1 ? $", ensemble of {models.Count}" : "")}: PER {Percent(metrics.PhonemeErrorRate)} " +
                                  $"({metrics.Edits:N0} edits / {metrics.ReferenceLength:N0} phonemes), WER {Percent(metrics.WordErrorRate)} ({metrics.WrongWords:N0} wrong), {seconds:F1} s");
            return 0;
        }));
        return command;
    }

    private static Command Predict()
    {
        var checkpointArg = new Argument<string>("checkpoint") { Description = "A seq2seq checkpoint file or training directory." };
        var words = new Argument<string[]>("words") { Description = "Sources to convert (none: read --input, or standard input, one per line).", Arity = ArgumentArity.ZeroOrMore };
        var input = new Option<string?>("--input") { Description = "A file with one source per line (text after a tab is ignored)." };
        var beam = new Option<int>("--beam") { Description = "Beam size (1: greedy).", DefaultValueFactory = _ => 1 };
        var nbest = new Option<int>("--nbest") { Description = "Print this many outputs per source, best first, with log-probabilities (needs --beam ≥ this; raised to it).", DefaultValueFactory = _ => 1 };
        var lengthPenalty = new Option<double>("--length-penalty") { Description = "Rank beam hypotheses by log-probability / length^this (0: by log-probability).", DefaultValueFactory = _ => 0 };
        var ensemble = EnsembleOption();
        var command = new Command("predict", "Convert sources (e.g. spellings) to targets (pronunciations): SOURCE<TAB>OUTPUT per line, n-best with --nbest.")
        {
            checkpointArg, words, input, beam, nbest, lengthPenalty, ensemble,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            int n = parse.GetValue(nbest);
            if (n < 1) throw new UsageException($"--nbest must be at least 1, got {n}.");
            int beams = Math.Max(CheckBeam(parse.GetValue(beam)), n);
            double penalty = CheckPenalty(parse.GetValue(lengthPenalty));
            var checkpoint = Seq2SeqCheckpoint.Load(parse.GetValue(checkpointArg)!);
            var models = EnsembleModels(checkpoint, parse.GetValue(ensemble));
            var texts = parse.GetValue(words) is { Length: > 0 } given ? given.ToList() : ReadLines(parse.GetValue(input));
            var sources = new List<int[]>();
            foreach (var (text, i) in texts.Select((t, i) => (t, i)))
            {
                var symbols = SequencePairs.SplitSource(text.Split('\t')[0].Trim(), checkpoint.SourceTokens);
                if (symbols.Length == 0) throw new InvalidDataException($"Source {i + 1} is empty.");
                sources.Add(checkpoint.SourceVocabulary.Encode(symbols, $"source {i + 1} '{text}'"));
            }
            if (sources.Count == 0) throw new InvalidDataException("No sources to convert.");
            var decoded = Seq2SeqEvaluator.Decode(models, sources, beams, penalty);
            for (int i = 0; i < sources.Count; i++)
            {
                string source = texts[i].Split('\t')[0].Trim();
                if (n == 1) Console.WriteLine($"{source}\t{string.Join(' ', checkpoint.TargetVocabulary.Decode(decoded[i][0].Tokens))}");
                else
                    foreach (var h in decoded[i].Take(n))
                        Console.WriteLine($"{source}\t{string.Join(' ', checkpoint.TargetVocabulary.Decode(h.Tokens))}\t{h.LogProbability.ToString("F4", CultureInfo.InvariantCulture)}");
            }
            return 0;
        }));
        return command;
    }

    private static Option<string?> EnsembleOption() => new("--ensemble")
    {
        Description = "More checkpoints (comma-separated files or training directories, same data symbols) decoded together with the first: " +
                      "each step averages the models' log-probabilities. With right-to-left models among them, each direction searches and all the models rank the candidates.",
    };

    /// <summary>The first checkpoint's model and those of --ensemble, which must read and write the same symbols.</summary>
    private static List<Carousel.Models.Seq2Seq> EnsembleModels(Seq2SeqCheckpoint first, string? ensemble)
    {
        var models = new List<Carousel.Models.Seq2Seq> { first.Model };
        if (ensemble is null) return models;
        foreach (var path in ensemble.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var other = Seq2SeqCheckpoint.Load(path);
            if (!other.SourceVocabulary.Symbols.SequenceEqual(first.SourceVocabulary.Symbols) || !other.TargetVocabulary.Symbols.SequenceEqual(first.TargetVocabulary.Symbols)
                || other.SourceTokens != first.SourceTokens)
                throw new InvalidDataException($"{path}: its source or target symbols differ from the first checkpoint's; an ensemble needs the same symbols.");
            models.Add(other.Model);
        }
        if (models.Count == 1) throw new UsageException("--ensemble names no checkpoint.");
        return models;
    }

    private static Command Average()
    {
        var inputs = new Argument<string[]>("checkpoints") { Description = "Checkpoint files or training directories of the same model (with --last: training directories).", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string>("--out") { Description = "Directory for the averaged checkpoint.safetensors and model.safetensors.", Required = true };
        var last = new Option<int>("--last") { Description = "Average the last this many epochs each training directory kept (train with --keep-epochs).", DefaultValueFactory = _ => 0 };
        var command = new Command("average", "Checkpoint averaging: write the element-wise mean of the weights of several checkpoints of one model (e.g. its last epochs).")
        {
            inputs, outDir, last,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            int k = parse.GetValue(last);
            if (k < 0) throw new UsageException($"--last must be ≥ 0, got {k}.");
            var files = new List<string>();
            foreach (var path in parse.GetValue(inputs)!)
            {
                if (k == 0) { files.Add(path); continue; }
                if (!Directory.Exists(path)) throw new UsageException($"--last reads the epochs a training directory kept; '{path}' is not a directory.");
                var kept = Trainer<int[]>.KeptEpochs(path);
                if (kept.Length < k)
                    throw new InvalidDataException($"{path}: {kept.Length} epoch checkpoints kept, {k} asked for (train with --keep-epochs {k}).");
                files.AddRange(kept.TakeLast(k));
            }
            var checkpoints = files.Select(Seq2SeqCheckpoint.Load).ToList();
            var averaged = Seq2SeqCheckpoint.Average(checkpoints);
            string dir = parse.GetValue(outDir)!;
            Seq2SeqCheckpoint.Save(dir, averaged.Model, averaged.SourceVocabulary, averaged.TargetVocabulary, averaged.SourceTokens, optimizer: null, averaged.Step);
            Console.WriteLine($"averaged {checkpoints.Count} checkpoints into {dir}: {string.Join(", ", files.Select(Path.GetFileName))}");
            return 0;
        }));
        return command;
    }

    private static List<string> ReadLines(string? path)
    {
        if (path is not null && !File.Exists(path)) throw new FileNotFoundException($"No such file: '{path}'.", path);
        using var reader = path is null ? Console.In : new StreamReader(path);
        var lines = new List<string>();
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
            if (!string.IsNullOrWhiteSpace(line)) lines.Add(line);
        return lines;
    }

    private static int CheckBeam(int beam) => beam >= 1 ? beam : throw new UsageException($"--beam must be at least 1, got {beam}.");
    private static double CheckPenalty(double p) => p >= 0 ? p : throw new UsageException($"--length-penalty must be ≥ 0, got {p}.");
    private static int CheckThreads(int t) => t >= 1 ? t : throw new UsageException($"--threads must be at least 1, got {t}.");
    private static string Percent(double x) => (100 * x).ToString("F2", CultureInfo.InvariantCulture) + "%";
}
