using System.CommandLine;
using Carousel.Optimizers;

namespace Carousel.Cli.Commands;

/// <summary>
/// The learning-rate schedule options of every train command, declared once: --schedule, --warmup, --decay-rate and
/// --decay-from, read into one <see cref="LearningRateScheduleSettings"/>. Only the defaults differ between commands.
/// </summary>
internal sealed class ScheduleOptions(LearningRateScheduleSettings defaults)
{
    // No default value: absent, --decay-from alone means step decay (seq2seq's options meant that before --schedule existed).
    public readonly Option<string?> Schedule = new("--schedule")
    {
        Description = $"{LearningRateScheduleSettings.Names}: step multiplies the rate by --decay-rate every epoch from --decay-from on; cosine falls to 0 at the last step (default: {defaults.Name}, or step when --decay-from is given).",
    };
    public readonly Option<long> Warmup = new("--warmup") { Description = "Steps of linear warm-up from 0 before the schedule (any schedule).", DefaultValueFactory = _ => defaults.WarmupSteps };
    public readonly Option<float> DecayRate = new("--decay-rate") { Description = "Factor of the step schedule, in (0, 1].", DefaultValueFactory = _ => defaults.DecayRate };
    public readonly Option<int> DecayFrom = new("--decay-from")
    {
        Description = $"First epoch (1-based) with a decayed rate under step (0: epoch {LearningRateScheduleSettings.DefaultDecayFrom}, after ten epochs as char-rnn).",
        DefaultValueFactory = _ => defaults.DecayFrom,
    };

    public IEnumerable<Option> All => [Schedule, Warmup, DecayRate, DecayFrom];

    /// <summary>The settings the command line asks for; impossible combinations are a <see cref="SettingException"/>.</summary>
    public LearningRateScheduleSettings Read(ParseResult parse)
    {
        int decayFrom = parse.GetValue(DecayFrom);
        string name = parse.GetValue(Schedule)?.ToLowerInvariant() ?? (decayFrom > 0 ? "step" : defaults.Name);
        var settings = new LearningRateScheduleSettings(name, parse.GetValue(Warmup), parse.GetValue(DecayRate), decayFrom);
        settings.Validate();
        return settings;
    }
}
