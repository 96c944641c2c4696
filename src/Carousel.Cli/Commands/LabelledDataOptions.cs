using System.CommandLine;
using Carousel.Data;
using Carousel.IO;

namespace Carousel.Cli.Commands;

/// <summary>The options that name labelled data: a JSON lines file or folder, and/or LABEL=FILE line files.</summary>
internal sealed class LabelledDataOptions(string prefix, string what)
{
    public readonly Option<string?> Path = new($"--{prefix}") { Description = $"{what}: a JSON lines file (plain or gzip) or a folder with one subfolder per label and one text file per example." };
    public readonly Option<string[]> Lines = new($"--{prefix}-lines") { Description = $"{what} as LABEL=FILE: a text file with one example per line, all of that label (repeat per label)." };

    public IEnumerable<Option> All => [Path, Lines];

    public bool Given(ParseResult parse) => parse.GetValue(Path) is not null || (parse.GetValue(Lines)?.Length ?? 0) > 0;

    public List<LabelledText> Read(ParseResult parse, string textField, string labelField)
    {
        var examples = new List<LabelledText>();
        if (parse.GetValue(Path) is { } path) examples.AddRange(LabelledTextReader.Read(path, textField, labelField));
        foreach (var spec in parse.GetValue(Lines) ?? [])
        {
            int eq = spec.IndexOf('=');
            if (eq <= 0 || eq == spec.Length - 1) throw new UsageException($"Expected LABEL=FILE, got '{spec}'.");
            examples.AddRange(LabelledTextReader.ReadLines(spec[(eq + 1)..], spec[..eq]));
        }
        return examples;
    }
}

