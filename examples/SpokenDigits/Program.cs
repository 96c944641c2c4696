// Spoken digits for CTC: speaks random digit strings (1–7 digits) with espeak-ng in many voices, speeds and pitches
// (optionally with additive noise), and turns each WAV into MFCC frames with NWaves, written in Carousel's binary frames
// form (one safetensors file per split: frames + offsets, the digit strings as labels). Voices are split so that the dev
// and test voices are never heard in training.
//
//   dotnet run --project examples/SpokenDigits -c Release -- generate --out data/digits --train 3000 --dev 300 --test 600
//   dotnet run --project examples/SpokenDigits -c Release -- features a.wav b.wav --out frames.jsonl
//
// Needs espeak-ng (Debian: apt-get install -y espeak-ng) for generate; features only needs WAV files.
using System.Diagnostics;
using System.Globalization;
using Carousel.Data;
using Carousel.IO;
using NWaves.Audio;
using NWaves.FeatureExtractors;
using NWaves.FeatureExtractors.Options;
using NWaves.Signals;

try
{
    return args.Length > 0 && args[0] == "generate" ? Generate(Options.Parse(args[1..]))
         : args.Length > 0 && args[0] == "features" ? Features(args[1..])
         : Usage();
}
catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException or ArgumentException or FormatException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return e is ArgumentException or FormatException ? 2 : 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: SpokenDigits generate --out DIR [--train N] [--dev N] [--test N] [--seed S] [--noise-snr DB] [--keep-wav]\n" +
                            "       SpokenDigits features FILE.wav... [--out FILE.jsonl]");
    return 2;
}

static int Generate(Options o)
{
    Directory.CreateDirectory(o.Out);
    string wavDir = Path.Combine(o.Out, "wav");
    Directory.CreateDirectory(wavDir);
    var rng = new Random(o.Seed);
    foreach (var (split, count, variants) in new[] { ("train", o.Train, Voices.Train), ("dev", o.Dev, Voices.Dev), ("test", o.Test, Voices.Test) })
    {
        if (count == 0) continue;
        var sequences = new List<FrameSequence>(count);
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            int length = rng.Next(1, 8);
            string digits = string.Concat(Enumerable.Range(0, length).Select(_ => (char)('0' + rng.Next(10))));
            string voice = $"{Voices.Accents[rng.Next(Voices.Accents.Length)]}+{variants[rng.Next(variants.Length)]}";
            int speed = rng.Next(130, 211), pitch = rng.Next(20, 81);
            string wav = Path.Combine(wavDir, $"{split}-{i:D5}.wav");
            Speak(string.Join(' ', digits.ToCharArray()), voice, speed, pitch, wav);
            var signal = ReadWav(wav);
            if (o.NoiseSnr is double snr) AddNoise(signal, snr, rng);
            var frames = Mfcc(signal, wav);
            sequences.Add(new FrameSequence(frames.Data, frames.Width, null, [.. digits.Select(c => c.ToString())], $"{wav} ({voice} s{speed} p{pitch})"));
            if (!o.KeepWav) File.Delete(wav);
            if ((i + 1) % 200 == 0) Console.WriteLine($"{split}: {i + 1}/{count} ({watch.Elapsed.TotalSeconds:F0} s)");
        }
        string path = Path.Combine(o.Out, $"{split}.safetensors");
        FrameSafeTensors.Write(path, sequences);
        Console.WriteLine($"{path}: {count} utterances, {sequences.Sum(s => s.Steps):N0} frames of {sequences[0].Width} features; voices {string.Join(" ", variants)}");
    }
    if (!o.KeepWav) Directory.Delete(wavDir);
    return 0;
}

static int Features(string[] args)
{
    string? output = null;
    var inputs = new List<string>();
    for (int i = 0; i < args.Length; i++)
    {
        if (args[i] == "--out") output = i + 1 < args.Length ? args[++i] : throw new ArgumentException("--out needs a file name.");
        else inputs.Add(args[i]);
    }
    if (inputs.Count == 0) throw new ArgumentException("give at least one WAV file.");
    var lines = new List<string>();
    foreach (var wav in inputs)
    {
        var (data, width) = Mfcc(ReadWav(wav), wav);
        lines.Add(FrameJsonLines.Format(new FrameSequence(data, width, null, null, wav)));
    }
    if (output is null) foreach (var line in lines) Console.WriteLine(line);
    else AtomicFile.WriteAllText(output, string.Join('\n', lines) + "\n");
    return 0;
}

static void Speak(string text, string voice, int speed, int pitch, string wav)
{
    var start = new ProcessStartInfo("espeak-ng") { RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in new[] { "-v", voice, "-s", speed.ToString(CultureInfo.InvariantCulture), "-p", pitch.ToString(CultureInfo.InvariantCulture), "-w", wav, text })
        start.ArgumentList.Add(a);
    Process process;
    try
    {
        process = Process.Start(start)!;
    }
    catch (System.ComponentModel.Win32Exception e)
    {
        throw new IOException($"cannot run espeak-ng ({e.Message}); install it: apt-get install -y espeak-ng");
    }
    string errors = process.StandardError.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0) throw new IOException($"espeak-ng -v {voice} failed ({process.ExitCode}): {errors.Trim()}");
}

// The first channel of a WAV file; anything that is not a readable PCM WAV is an error naming the file.
static DiscreteSignal ReadWav(string path)
{
    using var stream = File.OpenRead(path);
    try
    {
        var file = new WaveFile(stream);
        var signal = file[Channels.Left];
        if (signal.Length == 0) throw new InvalidDataException($"{path}: a WAV file without samples.");
        return signal;
    }
    catch (Exception e) when (e is not InvalidDataException && e is FormatException or ArgumentException or IndexOutOfRangeException or EndOfStreamException or NotSupportedException or OverflowException)
    {
        throw new InvalidDataException($"{path}: not a PCM WAV file ({e.Message}).");
    }
}

// White noise at the given signal-to-noise ratio (dB), relative to the utterance's own power.
static void AddNoise(DiscreteSignal signal, double snrDb, Random rng)
{
    double power = signal.Samples.Average(s => (double)s * s);
    double sigma = Math.Sqrt(power / Math.Pow(10, snrDb / 10));
    for (int i = 0; i < signal.Length; i++)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        signal.Samples[i] += (float)(sigma * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}

// 13 MFCCs (25 ms Hamming frames every 10 ms, 26 mel filters, pre-emphasis 0.97) and their deltas: [T, 26].
static (float[] Data, int Width) Mfcc(DiscreteSignal signal, string source)
{
    var options = new MfccOptions
    {
        SamplingRate = signal.SamplingRate, FeatureCount = 13, FrameDuration = 0.025, HopDuration = 0.010, FilterBankSize = 26,
        PreEmphasis = 0.97, Window = NWaves.Windows.WindowType.Hamming,
    };
    var vectors = new MfccExtractor(options).ComputeFrom(signal);
    if (vectors.Count == 0) throw new InvalidDataException($"{source}: too short for one 25 ms frame.");
    NWaves.FeatureExtractors.Base.FeaturePostProcessing.AddDeltas(vectors);
    int width = vectors[0].Length;
    var data = new float[vectors.Count * width];
    for (int t = 0; t < vectors.Count; t++) vectors[t].CopyTo(data, t * width);
    int bad = Array.FindIndex(data, v => !float.IsFinite(v));
    if (bad >= 0) throw new InvalidDataException($"{source}: feature {bad % width} of frame {bad / width} is not finite.");
    return (data, width);
}

/// <summary>espeak-ng voices: accents × variants; the variants are split so that dev and test voices are never heard in training.</summary>
internal static class Voices
{
    public static readonly string[] Accents = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan"];
    public static readonly string[] Train = ["m1", "m2", "m3", "m5", "m6", "f1", "f2", "f4", "klatt", "klatt2", "klatt4"];
    public static readonly string[] Dev = ["m7", "f5"];
    public static readonly string[] Test = ["m4", "f3", "klatt3"];
}

internal sealed record Options(string Out, int Train, int Dev, int Test, int Seed, double? NoiseSnr, bool KeepWav)
{
    public static Options Parse(string[] args)
    {
        string? output = null;
        int train = 3000, dev = 300, test = 600, seed = 1;
        double? snr = null;
        bool keep = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Count(string flag) => int.TryParse(Value(), CultureInfo.InvariantCulture, out int n) && n >= 0 ? n : throw new ArgumentException($"{flag} must be a count ≥ 0.");
            switch (args[i])
            {
                case "--out": output = Value(); break;
                case "--train": train = Count("--train"); break;
                case "--dev": dev = Count("--dev"); break;
                case "--test": test = Count("--test"); break;
                case "--seed": seed = Count("--seed"); break;
                case "--noise-snr": snr = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--keep-wav": keep = true; break;
                default: throw new ArgumentException($"unknown option '{args[i]}'.");
            }
        }
        return new Options(output ?? throw new ArgumentException("--out DIR is required."), train, dev, test, seed, snr, keep);
    }
}
