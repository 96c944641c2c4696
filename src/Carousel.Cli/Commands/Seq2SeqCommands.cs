using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Training;
using Carousel.Training.EncoderDecoder;

namespace Carousel.Cli.Commands;

/// <summary>`carousel seq2seq train|eval|predict`: encoder-decoder models on SOURCE&lt;TAB&gt;TARGET pairs (spelling → pronunciation).</summary>
internal static class Seq2SeqCommands
{
    public static Command Create() => new("seq2seq", "Sequence to sequence (encoder-decoder, optional attention): train on SOURCE<TAB>TARGET pairs, evaluate PER/WER, predict.")
    {
        Train(), Eval(), Predict(),
    };

    private static Command Train()
    {
        var d = new Seq2SeqTrainingOptions();
        var train = new Option<string>("--train") { Description = "Training pairs: SOURCE<TAB>TARGET per line, target tokens separated by spaces.", Required = true };
        var dev = new Option<string>("--dev") { Description = "Dev pairs in the same format, decoded after every epoch; the best by WER is kept.", Required = true };
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
            dropout, epochs, evalEvery, evalBeam, maxLength,
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
            });
            options.Validate();
            string dir = parse.GetValue(outDir)!;
            if (parse.GetValue(run.Resume) && parse.GetValue(initFrom) is not null)
                throw new UsageException("--resume continues a run with its own weights; it does not go with --init-from.");
            var resume = run.Prepare(parse, dir, Seq2SeqCheckpoint.Kind);
            int longest = CheckMaxLength(parse.GetValue(maxLength));
            var trainPairs = SequencePairs.Read(parse.GetValue(train)!, options.SourceTokens, longest);
            var devPairs = SequencePairs.Read(parse.GetValue(dev)!, options.SourceTokens, longest);
            var initial = parse.GetValue(initFrom) is { } from ? Seq2SeqCheckpoint.Load(from) : null;
            var training = new Seq2SeqTraining(options, trainPairs, devPairs, initial);
            var trainer = new Trainer<int[]>(training, training.Run(dir, resume) with { Overwrite = parse.GetValue(run.Overwrite) });
            Console.WriteLine($"{options.Cell.ToCliName()} encoder {options.EncoderLayers}×{options.EncoderHidden}{(options.Bidirectional ? " bidirectional" : "")}, " +
                              $"decoder {options.DecoderLayers}×{options.DecoderHidden}{(options.Attention ? " with attention" : "")}; " +
                              $"{training.SourceVocabulary.Count - TokenVocabulary.Reserved.Length} source and {training.TargetVocabulary.Count - TokenVocabulary.Reserved.Length} target symbols; " +
                              $"{trainPairs.Count:N0} training pairs, {training.DevWords:N0} dev words; {options.Epochs} epochs of {trainer.BatchesPerEpoch:N0} steps" +
                              (resume is not null ? $", resuming at step {trainer.Cursor.Step}" : "") + ".");
            return TrainRunner.Run(trainer, dir, "sym");
        }));
        return command;
    }

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
        var command = new Command("eval", "Decode a pair file and report phoneme error rate (edits to the closest reference / its length) and word error rate (output equal to no reference).")
        {
            checkpointArg, data, beam, lengthPenalty, json, errors, threads, maxLength,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            int beams = CheckBeam(parse.GetValue(beam));
            double penalty = CheckPenalty(parse.GetValue(lengthPenalty));
            using var threadScope = Carousel.Kernels.Gemm.UseThreads(CheckThreads(parse.GetValue(threads)));
            var checkpoint = Seq2SeqCheckpoint.Load(parse.GetValue(checkpointArg)!);
            string path = parse.GetValue(data)!;
            var groups = SequencePairs.GroupBySource(SequencePairs.Read(path, checkpoint.SourceTokens, CheckMaxLength(parse.GetValue(maxLength))));
            var sources = groups.Select(g => checkpoint.SourceVocabulary.Encode(g.Source, $"{path}: source '{SequencePairs.JoinSource(g.Source, checkpoint.SourceTokens)}'")).ToList();
            var references = groups.Select(g => (IReadOnlyList<string[]>)g.Targets).ToList();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (metrics, outputs) = Seq2SeqEvaluator.Evaluate(checkpoint.Model, checkpoint.TargetVocabulary, sources, references, beams, penalty);
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
                    data = path, words = metrics.Words, beam = beams, length_penalty = penalty, per = metrics.PhonemeErrorRate, wer = metrics.WordErrorRate,
                    edits = metrics.Edits, reference_length = metrics.ReferenceLength, wrong_words = metrics.WrongWords, seconds = Math.Round(seconds, 2),
                }));
            else
                Console.WriteLine($"{path}: {metrics.Words:N0} words, {(beams == 1 ? "greedy" : $"beam {beams}")}: PER {Percent(metrics.PhonemeErrorRate)} " +
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
        var command = new Command("predict", "Convert sources (e.g. spellings) to targets (pronunciations): SOURCE<TAB>OUTPUT per line, n-best with --nbest.")
        {
            checkpointArg, words, input, beam, nbest, lengthPenalty,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            int n = parse.GetValue(nbest);
            if (n < 1) throw new UsageException($"--nbest must be at least 1, got {n}.");
            int beams = Math.Max(CheckBeam(parse.GetValue(beam)), n);
            double penalty = CheckPenalty(parse.GetValue(lengthPenalty));
            var checkpoint = Seq2SeqCheckpoint.Load(parse.GetValue(checkpointArg)!);
            var texts = parse.GetValue(words) is { Length: > 0 } given ? given.ToList() : ReadLines(parse.GetValue(input));
            var sources = new List<int[]>();
            foreach (var (text, i) in texts.Select((t, i) => (t, i)))
            {
                var symbols = SequencePairs.SplitSource(text.Split('\t')[0].Trim(), checkpoint.SourceTokens);
                if (symbols.Length == 0) throw new InvalidDataException($"Source {i + 1} is empty.");
                sources.Add(checkpoint.SourceVocabulary.Encode(symbols, $"source {i + 1} '{text}'"));
            }
            if (sources.Count == 0) throw new InvalidDataException("No sources to convert.");
            var decoded = Seq2SeqEvaluator.Decode(checkpoint.Model, sources, beams, penalty);
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
