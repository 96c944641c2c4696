using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;

namespace Carousel.Cli;

/// <summary>
/// The flag a user typed for a setting the library names (LearningRate → --lr): the library's messages speak of
/// settings by their .NET property names (<see cref="SettingException"/>, <see cref="SettingNames"/>), the user of
/// the CLI knows flags. A setting's flag is its name in kebab case (BatchSize → --batch-size, EvalEvery → --eval-every)
/// unless <see cref="Aliases"/> lists others; of these, the one the running command declares is taken, so the same
/// setting may go by different flags in different commands (BatchSize is --batch in `task train`). A setting the
/// command has no flag for keeps its name: better a .NET name than a flag the command does not have.
/// </summary>
internal static class OptionNames
{
    /// <summary>The flags of the settings whose flag is not (only) their kebab-case name, most common first.</summary>
    internal static readonly IReadOnlyDictionary<string, string[]> Aliases = new Dictionary<string, string[]>
    {
        ["LearningRate"] = ["--lr"],
        ["TimeDelay"] = ["--tdnn-context", "--tdnn-dilations"],
        ["BatchSize"] = ["--batch-size", "--batch"],
        ["EvaluateEvery"] = ["--eval-every", "--evaluate-every"],
        ["HiddenSize"] = ["--hidden"],
        ["EncoderHidden"] = ["--hidden"],
        ["EncoderLayers"] = ["--layers"],
        ["WarmupSteps"] = ["--warmup"],
        ["ClipNorm"] = ["--grad-clip"],
        ["RecurrentGain"] = ["--gain"],
        ["GateInit"] = ["--init"],
        ["InitialWeights"] = ["--init-from"],
        ["RunsDirectory"] = ["--runs"],
        ["MaxGeneratedLength"] = ["--max-length"],
        ["MaxConcurrentRequests"] = ["--max-concurrent"],
        ["Length"] = ["--length", "--adding-length", "--lengths"],
        ["TrainSteps"] = ["--train-steps", "--adding-steps"],
        ["SeqLength"] = ["--seq-length", "--seq", "--tbptt-step"],
        ["SeriesLength"] = ["--length"],
        ["TrainLength"] = ["--train"],
        ["TestLength"] = ["--test"],
    };

    /// <summary>
    /// <paramref name="message"/> with each of <paramref name="settings"/>, where it stands as a whole word, replaced by
    /// its flag in <paramref name="command"/> (<see cref="FlagFor"/>). A word quoted ('Epochs') or part of a path
    /// (runs/Epochs) is the user's value, not a setting, and stays.
    /// </summary>
    public static string Rename(string message, IEnumerable<string> settings, Command? command)
    {
        foreach (var setting in settings.Distinct().OrderByDescending(s => s.Length))
        {
            string flag = FlagFor(setting, command);
            message = Regex.Replace(message, $@"(?<![\w'/\\-]){Regex.Escape(setting)}(?![\w'/\\-])", flag.Replace("$", "$$"), RegexOptions.CultureInvariant);
        }
        return message;
    }

    /// <summary>The flag for <paramref name="setting"/>: of its candidates, the first <paramref name="command"/> declares, else the setting's own name.</summary>
    public static string FlagFor(string setting, Command? command)
    {
        if (command is null) return setting;
        var declared = Declared(command);
        foreach (var flag in Candidates(setting))
            if (declared.Contains(flag)) return flag;
        return setting;
    }

    /// <summary>The flags <paramref name="setting"/> may go by: its aliases, then its kebab-case name.</summary>
    internal static IEnumerable<string> Candidates(string setting) =>
        Aliases.TryGetValue(setting, out var aliases) ? [.. aliases, KebabCase(setting)] : [KebabCase(setting)];

    /// <summary>The flags <paramref name="command"/> accepts: its own and its parents' recursive ones.</summary>
    internal static HashSet<string> Declared(Command command)
    {
        var flags = new HashSet<string>(StringComparer.Ordinal);
        foreach (var option in command.Options) Add(option);
        for (var parent = command.Parents.OfType<Command>().FirstOrDefault(); parent is not null; parent = parent.Parents.OfType<Command>().FirstOrDefault())
            foreach (var option in parent.Options.Where(o => o.Recursive)) Add(option);
        return flags;

        void Add(Option option)
        {
            flags.Add(option.Name);
            foreach (var alias in option.Aliases) flags.Add(alias);
        }
    }

    /// <summary>LearningRate → --learning-rate.</summary>
    internal static string KebabCase(string name)
    {
        var sb = new StringBuilder("--");
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0) sb.Append('-');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}
