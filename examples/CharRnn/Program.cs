// The char-rnn job through the library: load a text, train, sample, save and load again.
// Usage: dotnet run --project examples/CharRnn -c Release -- TEXT_FILE [OUT_DIR]
using Carousel.Data;
using Carousel.Models;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Char;

string textPath = args.Length > 0 ? args[0] : "../shared/data/tinyshakespeare.txt";
string outDir = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "carousel-example");

var options = new CharTrainingOptions { Hidden = 128, Layers = 2, SeqLength = 64, BatchSize = 32, Steps = 300, EvalEvery = 100 };
var corpus = TextCorpus.FromText(TextCorpus.ReadText(textPath), options.ValFraction, options.SeqLength + 1, textPath);
if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);

var training = new CharTraining(corpus, options);                       // the model and its batches, from the options
var trainer = new Trainer<TextBatch>(training, training.Run(outDir));   // the one training loop: optimizer, checkpoints, metrics
trainer.Run(new SynchronousProgress<TrainingProgress>(p =>
{
    if (p.Evaluation is { } e) Console.WriteLine($"step {p.Step}: train {p.TrainLoss:F3}, {e.Summary} nats/char");
}));                                                                    // DIR/checkpoint.safetensors (best), model.safetensors, last.safetensors

var loaded = CharCheckpoint.Load(outDir);                               // the best model, its vocabulary and options
var sampler = new CharSampler(loaded.Model, loaded.Vocabulary);
foreach (string c in sampler.Generate("ROMEO:", 200, new SamplingOptions(Temperature: 0.8f), new Rng(1)))
    Console.Write(c);
Console.WriteLine();

