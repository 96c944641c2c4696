using System.Text.Json;
using Carousel.Data;
using Carousel.Layers.Recurrent;
using Carousel.Models;
using Carousel.Training;
using Carousel.Training.Char;
using Carousel.Training.Classification;
using Carousel.Training.EncoderDecoder;
using Carousel.Training.Generation;
using Carousel.Training.Tagging;

namespace Carousel.Tests.Training;

/// <summary>
/// The options records share their optimization fields through <see cref="TrainingLoopSettings"/>; the JSON every
/// checkpoint stores (and --resume compares field by field) must stay what it was before. The literals below were
/// written by the code before that change (commit c06958f), every shared field set to a value other than its default.
/// </summary>
public class TrainingOptionsCompatibilityTests
{
    internal const string ClassifierJson =
        """{"Cell":"Gru","Hidden":12,"Layers":2,"Bidirectional":true,"Embedding":7,"Dropout":0.25,"Pooling":"Max","Level":"Bytes","MaxLength":300,"MinCount":2,"Optimizer":"nesterov","LearningRate":0.05,"Momentum":0.8,"WeightDecay":0.0001,"Schedule":"step","WarmupSteps":3,"DecayRate":0.5,"DecayFrom":4,"GradClip":2.5,"Epochs":7,"BatchSize":9,"Seed":42,"Threads":2}""";
    internal const string GeneratorJson =
        """{"Cell":"Gru","Hidden":12,"Layers":2,"Embedding":7,"Dropout":0.25,"Optimizer":"momentum","LearningRate":0.05,"Momentum":0.8,"WeightDecay":0.0001,"Schedule":"cosine","WarmupSteps":3,"DecayRate":0.5,"DecayFrom":0,"GradClip":0,"Epochs":7,"BatchSize":9,"Seed":42,"Threads":2}""";
    internal const string TaggerJson =
        """{"Cell":0,"Hidden":12,"Layers":3,"Bidirectional":true,"Embedding":7,"Dropout":0.25,"BatchSize":9,"Optimizer":"rmsprop","LearningRate":0.05,"Momentum":0.8,"WeightDecay":0.0001,"Schedule":"step","WarmupSteps":3,"DecayRate":0.5,"DecayFrom":4,"GradClip":2.5,"Epochs":2.5,"Steps":100,"EvalEvery":10,"Seed":42,"Threads":1}""";
    internal const string Seq2SeqJson =
        """{"Cell":3,"Embedding":7,"EncoderHidden":12,"EncoderLayers":2,"Bidirectional":false,"DecoderHidden":14,"DecoderLayers":2,"Attention":false,"Dropout":0.1,"SourceTokens":1,"Epochs":7,"BatchSize":9,"Optimizer":"adamw","LearningRate":0.05,"Momentum":0.8,"WeightDecay":0.0001,"Schedule":"step","WarmupSteps":3,"DecayRate":0.7,"DecayFrom":4,"GradClip":2.5,"EvalEvery":5,"EvalBeam":3,"Seed":42,"Threads":2}""";
    internal const string CharJson =
        """{"Cell":3,"Hidden":12,"Layers":3,"Embedding":7,"Dropout":0.25,"SeqLength":20,"BatchSize":9,"Optimizer":"adagrad","LearningRate":0.05,"Momentum":0.8,"WeightDecay":0.0001,"Schedule":"step","DecayRate":0.5,"DecayEvery":11,"DecayAfter":0,"DecayFrom":4,"WarmupSteps":3,"GradClip":2.5,"ClipByValue":true,"Steps":1234,"ValFraction":0.2,"EvalEvery":50,"Seed":42,"Threads":1,"Batching":1}""";

    // The same code's defaults (the tagger's and the character model's threads written for a 2-core machine).
    private const string ClassifierDefaultJson =
        """{"Cell":"Lstm","Hidden":64,"Layers":1,"Bidirectional":false,"Embedding":32,"Dropout":0,"Pooling":"Last","Level":"Chars","MaxLength":1000,"MinCount":1,"Optimizer":"adam","LearningRate":0.002,"Momentum":0.9,"WeightDecay":0,"Schedule":"constant","WarmupSteps":0,"DecayRate":0.97,"DecayFrom":0,"GradClip":5,"Epochs":10,"BatchSize":32,"Seed":0,"Threads":1}""";
    private const string GeneratorDefaultJson =
        """{"Cell":"Lstm","Hidden":128,"Layers":1,"Embedding":32,"Dropout":0,"Optimizer":"adam","LearningRate":0.002,"Momentum":0.9,"WeightDecay":0,"Schedule":"constant","WarmupSteps":0,"DecayRate":0.97,"DecayFrom":0,"GradClip":5,"Epochs":20,"BatchSize":32,"Seed":0,"Threads":1}""";
    private const string TaggerDefaultJson =
        """{"Cell":2,"Hidden":128,"Layers":2,"Bidirectional":false,"Embedding":32,"Dropout":0,"BatchSize":32,"Optimizer":"adam","LearningRate":0.002,"Momentum":0.9,"WeightDecay":0,"Schedule":"constant","WarmupSteps":0,"DecayRate":0.97,"DecayFrom":0,"GradClip":5,"Epochs":5,"Steps":0,"EvalEvery":0,"Seed":0,"Threads":2}""";
    private const string Seq2SeqDefaultJson =
        """{"Cell":2,"Embedding":64,"EncoderHidden":256,"EncoderLayers":1,"Bidirectional":true,"DecoderHidden":512,"DecoderLayers":1,"Attention":true,"Dropout":0.2,"SourceTokens":0,"Epochs":10,"BatchSize":64,"Optimizer":"adam","LearningRate":0.001,"Momentum":0.9,"WeightDecay":0,"Schedule":"constant","WarmupSteps":0,"DecayRate":0.5,"DecayFrom":0,"GradClip":5,"EvalEvery":0,"EvalBeam":1,"Seed":0,"Threads":1}""";
    private const string CharDefaultJson =
        """{"Cell":2,"Hidden":256,"Layers":2,"Embedding":0,"Dropout":0,"SeqLength":100,"BatchSize":32,"Optimizer":"adam","LearningRate":0.002,"Momentum":0.9,"WeightDecay":0,"Schedule":"constant","DecayRate":0.97,"DecayEvery":0,"DecayAfter":0,"DecayFrom":0,"WarmupSteps":0,"GradClip":5,"ClipByValue":false,"Steps":3000,"ValFraction":0.1,"EvalEvery":500,"Seed":0,"Threads":2,"Batching":0}""";

    /// <summary>Each old literal with the options it was written from, built through today's records.</summary>
    public static TheoryData<string, TrainingLoopSettings> OldCheckpointOptions() => new()
    {
        {
            ClassifierJson,
            new ClassifierTrainingOptions
            {
                Cell = CellKind.Gru, Hidden = 12, Layers = 2, Bidirectional = true, Embedding = 7, Dropout = 0.25f, Pooling = SequencePooling.Max,
                Level = SymbolLevel.Bytes, MaxLength = 300, MinCount = 2, Optimizer = "nesterov", LearningRate = 0.05f, Momentum = 0.8f,
                WeightDecay = 1e-4f, Schedule = "step", WarmupSteps = 3, DecayRate = 0.5f, DecayFrom = 4, GradClip = 2.5f, Epochs = 7,
                BatchSize = 9, Seed = 42, Threads = 2,
            }
        },
        {
            GeneratorJson,
            new GeneratorTrainingOptions
            {
                Cell = CellKind.Gru, Hidden = 12, Layers = 2, Embedding = 7, Dropout = 0.25f, Optimizer = "momentum", LearningRate = 0.05f,
                Momentum = 0.8f, WeightDecay = 1e-4f, Schedule = "cosine", WarmupSteps = 3, DecayRate = 0.5f, GradClip = 0f, Epochs = 7,
                BatchSize = 9, Seed = 42, Threads = 2,
            }
        },
        {
            TaggerJson,
            new TaggerTrainingOptions
            {
                Cell = CellKind.RnnTanh, Hidden = 12, Layers = 3, Bidirectional = true, Embedding = 7, Dropout = 0.25f, BatchSize = 9,
                Optimizer = "rmsprop", LearningRate = 0.05f, Momentum = 0.8f, WeightDecay = 1e-4f, Schedule = "step", WarmupSteps = 3,
                DecayRate = 0.5f, DecayFrom = 4, GradClip = 2.5f, Epochs = 2.5, Steps = 100, EvalEvery = 10, Seed = 42, Threads = 1,
            }
        },
        {
            Seq2SeqJson,
            new Seq2SeqTrainingOptions
            {
                Cell = CellKind.Gru, Embedding = 7, EncoderHidden = 12, EncoderLayers = 2, Bidirectional = false, DecoderHidden = 14,
                DecoderLayers = 2, Attention = false, Dropout = 0.1f, SourceTokens = SourceTokens.Words, Epochs = 7, BatchSize = 9,
                Optimizer = "adamw", LearningRate = 0.05f, Momentum = 0.8f, WeightDecay = 1e-4f, Schedule = "step", WarmupSteps = 3,
                DecayRate = 0.7f, DecayFrom = 4, GradClip = 2.5f, EvalEvery = 5, EvalBeam = 3, Seed = 42, Threads = 2,
            }
        },
        {
            CharJson,
            new CharTrainingOptions
            {
                Cell = CellKind.Gru, Hidden = 12, Layers = 3, Embedding = 7, Dropout = 0.25f, SeqLength = 20, BatchSize = 9,
                Optimizer = "adagrad", LearningRate = 0.05f, Momentum = 0.8f, WeightDecay = 1e-4f, Schedule = "step", DecayRate = 0.5f,
                DecayEvery = 11, DecayFrom = 4, WarmupSteps = 3, GradClip = 2.5f, ClipByValue = true, Steps = 1234, ValFraction = 0.2,
                EvalEvery = 50, Seed = 42, Threads = 1, Batching = BatchingMode.Stream,
            }
        },
        { ClassifierDefaultJson, new ClassifierTrainingOptions() },
        { GeneratorDefaultJson, new GeneratorTrainingOptions() },
        { TaggerDefaultJson, new TaggerTrainingOptions { Threads = 2 } },
        { Seq2SeqDefaultJson, new Seq2SeqTrainingOptions() },
        { CharDefaultJson, new CharTrainingOptions { Threads = 2 } },
    };

    [Theory]
    [MemberData(nameof(OldCheckpointOptions))]
    public void OptionsWrittenByTheOldCodeReadBackAsTheSameOptions(string oldJson, TrainingLoopSettings options)
    {
        // What a checkpoint loader does with the stored string.
        var read = (TrainingLoopSettings)JsonSerializer.Deserialize(oldJson, options.GetType())!;
        Assert.Equal(options, read);
    }

    [Theory]
    [MemberData(nameof(OldCheckpointOptions))]
    public void OptionsAreWrittenWithTheOldFieldsAndValues(string oldJson, TrainingLoopSettings options)
    {
        // --resume compares the stored options with today's field by field, by name: the same names and raw values, in any order.
        Assert.Equal(Fields(oldJson), Fields(JsonSerializer.Serialize(options, options.GetType())));
    }

    [Fact]
    public void TheTaggerAndTheCharacterModelStillDefaultToBothCores()
    {
        // The default literals above fix every other default; this one follows the machine.
        Assert.Equal(Math.Min(2, Environment.ProcessorCount), new TaggerTrainingOptions().Threads);
        Assert.Equal(Math.Min(2, Environment.ProcessorCount), new CharTrainingOptions().Threads);
    }

    private static SortedDictionary<string, string> Fields(string json)
    {
        using var document = JsonDocument.Parse(json);
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject()) fields.Add(property.Name, property.Value.GetRawText());
        return fields;
    }

    /// <summary>Every trainer's options refuse the same impossible loop settings with the same message, naming the setting.</summary>
    public static TheoryData<TrainingLoopSettings, string, string> ImpossibleLoopSettings()
    {
        var data = new TheoryData<TrainingLoopSettings, string, string>();
        TrainingLoopSettings[] all = [new ClassifierTrainingOptions(), new GeneratorTrainingOptions(), new TaggerTrainingOptions(), new Seq2SeqTrainingOptions(), new CharTrainingOptions()];
        foreach (var options in all)
        {
            data.Add(options with { LearningRate = 0 }, "LearningRate", "LearningRate must be positive, got 0.");
            data.Add(options with { LearningRate = float.NaN }, "LearningRate", "LearningRate must be positive");
            data.Add(options with { LearningRate = float.PositiveInfinity }, "LearningRate", "LearningRate must be positive");
            data.Add(options with { GradClip = -1 }, "GradClip", "GradClip must be ≥ 0 (0 turns clipping off), got -1.");
            data.Add(options with { BatchSize = 0 }, "BatchSize", "BatchSize must be positive, got 0.");
            data.Add(options with { Threads = 0 }, "Threads", "Threads must be positive, got 0.");
            data.Add(options with { Optimizer = "lbfgs" }, "Optimizer", "Unknown Optimizer 'lbfgs': expected sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw.");
            data.Add(options with { Momentum = -0.5f }, "Momentum", "Momentum must be ≥ 0, got -0.5.");
            data.Add(options with { Optimizer = "nesterov", Momentum = 0 }, "Momentum", "Optimizer nesterov needs Momentum > 0, got 0.");
            data.Add(options with { WeightDecay = float.NaN }, "WeightDecay", "WeightDecay must be ≥ 0, got NaN.");
            data.Add(options with { Schedule = "linear" }, "Schedule", "Unknown Schedule 'linear'");
            data.Add(options with { Schedule = "cosine", DecayFrom = 2 }, "DecayFrom", "DecayFrom goes with Schedule step, not cosine");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(ImpossibleLoopSettings))]
    public void EveryTrainersOptionsRefuseImpossibleLoopSettings(TrainingLoopSettings options, string setting, string message)
    {
        var error = Assert.Throws<SettingException>(options.Validate);
        Assert.Contains(message, error.Message);
        Assert.Equal(setting, error.Setting);
    }

    [Fact]
    public void TheDefaultsOfEveryTrainerAreValid()
    {
        new ClassifierTrainingOptions().Validate();
        new GeneratorTrainingOptions().Validate();
        new TaggerTrainingOptions().Validate();
        new Seq2SeqTrainingOptions().Validate();
        new CharTrainingOptions().Validate();
    }
}
