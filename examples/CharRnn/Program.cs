// The char-rnn job through the library: load a text, train, sample, save and load again.
// Usage: dotnet run --project examples/CharRnn -c Release -- TEXT_FILE [OUT_DIR]
using Carousel.Data;
using Carousel.Models;
using Carousel.Tensors;
using Carousel.Training;
using Carousel.Training.Char;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;

string textPath = args.Length > 0 ? args[0] : "../shared/data/tinyshakespeare.txt";
string outDir = args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "carousel-example");

var options = new CharTrainingOptions { Hidden = 128, Layers = 2, SeqLength = 64, BatchSize = 32, Steps = 300, EvalEvery = 100 };
var corpus = TextCorpus.FromText(TextCorpus.ReadText(textPath), options.ValFraction, options.SeqLength + 1, textPath);
if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);

var trainer = new CharLanguageModelTrainer(corpus, options, outDir);   // builds the model from the options
trainer.Run(p =>
{
    if (p.ValidationLoss is double val) Console.WriteLine($"step {p.Step}: train {p.TrainLoss:F3}, validation {val:F3} nats/char");
});
trainer.SaveCheckpoint();                                               // DIR/checkpoint.safetensors + model.safetensors

var loaded = CharCheckpoint.Load(outDir);                               // model, vocabulary, options, optimizer state
var sampler = new CharSampler(loaded.Model, loaded.Vocabulary);
foreach (string c in sampler.Generate("ROMEO:", 200, new SamplingOptions(Temperature: 0.8f), new Rng(1)))
    Console.Write(c);
Console.WriteLine();
