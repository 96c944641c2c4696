using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Char;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;

namespace Carousel.Cli.Commands;

/// <summary>`carousel train`, `sample` and `eval`: the char-rnn workflow.</summary>
internal static class CharCommands
{
    public static Command Train()
    {
        var defaults = new CharTrainingOptions();
        var text = new Option<string>("--text") { Description = "UTF-8 text file to learn.", Required = true };
        var outDir = new Option<string>("--out") { Description = "Directory for checkpoint.safetensors (the best validation's model), model.safetensors, last.safetensors (where the run stands) and metrics.jsonl.", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out exactly where it stopped (DIR/last.safetensors; same text and options, which are read from the run; --steps may be raised, --threads changed)." };
        var cell = new Option<string>("--cell") { Description = CellKinds.CliNames + ".", DefaultValueFactory = _ => "lstm" };
        var hidden = new Option<int>("--hidden") { Description = "Hidden units per layer.", DefaultValueFactory = _ => defaults.Hidden };
        var layers = new Option<int>("--layers") { Description = "Recurrent layers.", DefaultValueFactory = _ => defaults.Layers };
        var embedding = new Option<int>("--embedding") { Description = "Embedding size (0: the hidden size).", DefaultValueFactory = _ => 0 };
        var dropout = new Option<float>("--dropout") { Description = "Dropout between layers while training.", DefaultValueFactory = _ => 0f };
        var seqLength = new Option<int>("--seq-length") { Description = "Characters per window (BPTT length).", DefaultValueFactory = _ => defaults.SeqLength };
        var loop = new TrainingLoopOptions(defaults, "windows", lengthBuckets: false);
        var decayEvery = new Option<long>("--decay-every") { Description = "Steps between decays of the step schedule (0: one epoch).", DefaultValueFactory = _ => 0 };
        var decayAfter = new Option<long>("--decay-after") { Description = "Steps before the step schedule starts to decay, instead of --decay-from (0: by --decay-from).", DefaultValueFactory = _ => 0 };
        var model = new RecurrentModelOptions("characters");
        var tbpttWindow = new Option<int>("--tbptt-window") { Description = "Truncated BPTT(h; h′): backpropagate through the last h characters of each stream (h ≥ --tbptt-step; implies --batching stream; 0: h = h′)." };
        var tbpttStep = new Option<int>("--tbptt-step") { Description = "h′ of BPTT(h; h′): new characters per stream and update, the same as --seq-length (implies --batching stream)." };
        var steps = new Option<long>("--steps") { Description = "Optimizer steps.", DefaultValueFactory = _ => defaults.Steps };
        var epochs = new Option<double>("--epochs") { Description = "Train for this many passes over the training text instead of --steps." };
        var valFraction = new Option<double>("--val-fraction") { Description = "Last share of the text held out for validation.", DefaultValueFactory = _ => defaults.ValFraction };
        var evalEvery = new Option<int>("--eval-every") { Description = "Steps between validations and checkpoints.", DefaultValueFactory = _ => defaults.EvalEvery };
        var batching = new Option<string>("--batching") { Description = "random (windows at random offsets) or stream (char-rnn: contiguous streams, state carried: truncated BPTT).", DefaultValueFactory = _ => "random" };

        var command = new Command("train", "Train a character-level language model on a text file (char-rnn).")
        {
            text, outDir, resume, cell, hidden, layers, embedding, dropout, seqLength, tbpttWindow, tbpttStep,
            decayEvery, decayAfter, steps, epochs, valFraction, evalEvery, batching,
        };
        foreach (var o in model.All.Concat(loop.All)) command.Add(o);
        command.SetAction(CommandRunner.Guard(parse =>
        {
            string dir = parse.GetValue(outDir)!;
            ResumeOptions.RequireDirectory(dir);
            if (parse.GetResult(epochs) is { Implicit: false } && parse.GetResult(steps) is { Implicit: false })
                throw new UsageException("Give --epochs or --steps, not both: --epochs sets the steps (one epoch is a pass over the training text).");
            CharTrainingOptions options;
            bool resuming = parse.GetValue(resume);
            if (resuming)
            {
                // A resumed run takes its options from the run itself (the last position, else a checkpoint of the earlier format).
                string last = LastCheckpoint.PathIn(dir);
                options = CharCheckpoint.ReadOptions(File.Exists(last) ? last : dir);
                if (parse.GetResult(steps) is { Implicit: false }) options = options with { Steps = parse.GetValue(steps) };
                if (parse.GetResult(loop.Threads) is { Implicit: false }) options = options with { Threads = parse.GetValue(loop.Threads) };
            }
            else
            {
                bool truncated = parse.GetResult(tbpttWindow) is { Implicit: false } || parse.GetResult(tbpttStep) is { Implicit: false };
                if (parse.GetResult(tbpttStep) is { Implicit: false } && parse.GetResult(seqLength) is { Implicit: false } && parse.GetValue(tbpttStep) != parse.GetValue(seqLength))
                    throw new UsageException($"--tbptt-step and --seq-length are the same setting; got {parse.GetValue(tbpttStep)} and {parse.GetValue(seqLength)}.");
                if (truncated && parse.GetResult(batching) is { Implicit: false } && parse.GetValue(batching)!.ToLowerInvariant() != "stream")
                    throw new UsageException("--tbptt-window and --tbptt-step need --batching stream.");
                options = loop.Read(parse, model.Read(parse, new CharTrainingOptions
                {
                    Cell = CellKinds.Parse(parse.GetValue(cell)!),
                    Hidden = parse.GetValue(hidden), Layers = parse.GetValue(layers), Embedding = parse.GetValue(embedding),
                    Dropout = parse.GetValue(dropout),
                    SeqLength = parse.GetResult(tbpttStep) is { Implicit: false } ? parse.GetValue(tbpttStep) : parse.GetValue(seqLength),
                    TbpttWindow = parse.GetValue(tbpttWindow),
                    DecayEvery = parse.GetValue(decayEvery), DecayAfter = parse.GetValue(decayAfter),
                    Steps = parse.GetValue(steps),
                    ValFraction = parse.GetValue(valFraction), EvalEvery = parse.GetValue(evalEvery),
                    Batching = truncated ? BatchingMode.Stream : parse.GetValue(batching)!.ToLowerInvariant() switch
                    {
                        "random" => BatchingMode.Random,
                        "stream" => BatchingMode.Stream,
                        var other => throw new UsageException($"Unknown --batching '{other}': expected random or stream."),
                    },
                }));
                options.Validate();
                if (File.Exists(ModelCheckpoint.Resolve(dir)) || File.Exists(LastCheckpoint.PathIn(dir)))
                    throw new UsageException($"'{dir}' already holds a checkpoint; use --resume to continue it or choose another --out.");
            }
            var corpus = TextCorpus.FromText(TextCorpus.ReadText(parse.GetValue(text)!), options.ValFraction, options.SeqLength + 1, parse.GetValue(text)!);
            if (parse.GetResult(epochs) is { Implicit: false })
            {
                double e = parse.GetValue(epochs);
                if (!(e > 0)) throw new UsageException($"--epochs must be positive, got {e}.");
                long perEpoch = Math.Max(1, corpus.Train.Length / ((long)options.SeqLength * options.BatchSize));
                options = options with { Steps = Math.Max(1, (long)Math.Ceiling(e * perEpoch)) };
            }
            var training = new CharTraining(corpus, options);
            LastCheckpoint? saved = !resuming ? null
                : File.Exists(LastCheckpoint.PathIn(dir)) ? LastCheckpoint.Load(dir, CharCheckpoint.Kind)
                : CharCheckpoint.ContinueEarlierRun(dir, training) ?? throw new FileNotFoundException($"Nothing to resume: '{dir}' has no {LastCheckpoint.FileName}.");
            var trainer = new Trainer<TextBatch>(training, training.Run(dir, saved));
            Console.WriteLine($"{options.Cell.ToCliName()} {options.Layers}×{options.Hidden}, vocabulary {corpus.Vocabulary.Count}, " +
                              $"{corpus.Train.Length:N0} training and {corpus.Validation.Length:N0} validation characters, {options.Steps} steps" +
                              (saved is not null ? $", resuming at step {trainer.Cursor.Step}" : "") + ".");
            return TrainRunner.Run(trainer, dir, "tok");
        }));
        return command;
    }

    public static Command Sample()
    {
        var checkpointArg = new Argument<string>("checkpoint") { Description = "A checkpoint file or training directory." };
        var prime = new Option<string>("--prime") { Description = "Text to start from.", DefaultValueFactory = _ => "" };
        var length = new Option<int>("--length") { Description = "Characters to generate.", DefaultValueFactory = _ => 500 };
        var temperature = new Option<float>("--temperature") { Description = "Divide the logits by this (lower: more conservative).", DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { Description = "Draw only from the k most likely characters (0: all).", DefaultValueFactory = _ => 0 };
        var seed = new Option<ulong>("--seed") { Description = "Random seed.", DefaultValueFactory = _ => 0UL };
        var argmax = new Option<bool>("--argmax") { Description = "Always take the most likely character." };
        var threads = new Option<int>("--threads") { Description = "Threads per generated character (2 splits each layer between the cores for hidden sizes from 256).", DefaultValueFactory = _ => new CharTrainingOptions().Threads };
        var weights = WeightPrecisions.Option();
        var command = new Command("sample", "Generate text from a trained character language model, streamed as it is produced.")
        {
            checkpointArg, prime, length, temperature, topK, seed, argmax, threads, weights,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            var sampling = new SamplingOptions(parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(argmax));
            sampling.Validate();
            int n = parse.GetValue(length);
            if (n < 0) throw new UsageException($"--length must be ≥ 0, got {n}.");
            int threadCount = parse.GetValue(threads);
            if (threadCount <= 0) throw new UsageException($"--threads must be positive, got {threadCount}.");
            using var threadScope = Carousel.Kernels.Gemm.UseThreads(threadCount);
            var precision = WeightPrecisions.Parse(parse.GetValue(weights)!); // an impossible option before any file is read
            var checkpoint = CharCheckpoint.Load(parse.GetValue(checkpointArg)!);
            string primeText = parse.GetValue(prime)!;
            var sampler = new CharSampler(checkpoint.Model, checkpoint.Vocabulary) { Precision = precision };
            var chunks = sampler.Generate(primeText, n, sampling, new Rng(parse.GetValue(seed)));
            var output = Console.Out;
            output.Write(primeText);
            foreach (var s in chunks)
            {
                output.Write(s);
                if (s == "\n") output.Flush();
            }
            output.WriteLine();
            output.Flush();
            return 0;
        }));
        return command;
    }

    public static Command Eval()
    {
        var checkpointArg = new Argument<string>("checkpoint") { Description = "A checkpoint file or training directory." };
        var text = new Option<string>("--text") { Description = "UTF-8 text to score.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON line." };
        var chunk = new Option<int>("--chunk") { Description = "Characters per forward pass (the state is carried across).", DefaultValueFactory = _ => 100 };
        var weights = WeightPrecisions.Option("Score the model with the weights `sample` streams per character kept so: bf16 rounds them as `sample --weights bf16` does, to measure what that costs.");
        var command = new Command("eval", "Score a text with a character language model: nats/char, bits/char and perplexity, state carried across the whole text.")
        {
            checkpointArg, text, json, chunk, weights,
        };
        command.SetAction(CommandRunner.Guard(parse =>
        {
            int chunkLength = parse.GetValue(chunk);
            if (chunkLength <= 0) throw new UsageException($"--chunk must be positive, got {chunkLength}.");
            var precision = WeightPrecisions.Parse(parse.GetValue(weights)!); // an impossible option before any file is read
            var checkpoint = CharCheckpoint.Load(parse.GetValue(checkpointArg)!);
            string path = parse.GetValue(text)!;
            var ids = checkpoint.Vocabulary.Encode(TextCorpus.ReadText(path));
            CharModelStepper.RoundStreamedWeights(checkpoint.Model, precision);
            var result = CharLanguageModelEvaluator.Evaluate(checkpoint.Model, ids, chunkLength);
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(new { text = path, weights = parse.GetValue(weights), characters = result.Characters, nats_per_char = result.NatsPerChar, bits_per_char = result.BitsPerChar, perplexity = result.Perplexity }));
            else
                Console.WriteLine($"{path}: {result.Characters:N0} characters, {result.NatsPerChar:F4} nats/char, {result.BitsPerChar:F4} bits/char, perplexity {result.Perplexity:F3}");
            return 0;
        }));
        return command;
    }
}
