using System.Text.RegularExpressions;

namespace Carousel.Tests;

/// <summary>
/// Keeps the library's layers: each folder of src/Carousel may use only the folders listed for it (those below it in
/// DESIGN.md's picture), no two folders use each other, and the library never uses the CLI. Read from the sources:
/// every <c>using Carousel.X</c> and every name written as <c>Carousel.X.…</c> outside comments and strings.
/// </summary>
public sealed partial class ArchitectureTests
{
    /// <summary>The folders each folder may use; a folder missing here is an error of the test, so new folders get placed.</summary>
    internal static readonly IReadOnlyDictionary<string, string[]> Allowed = new Dictionary<string, string[]>
    {
        ["Tensors"] = [],
        ["Kernels"] = [],
        ["LinearAlgebra"] = [],
        ["Distributed"] = [],
        ["Layers"] = ["Tensors", "Kernels", "LinearAlgebra"],
        ["Losses"] = ["Tensors", "Kernels"],
        ["Optimizers"] = ["Tensors", "Kernels"],
        ["Data"] = ["Tensors"],
        ["IO"] = ["Tensors", "Data"],
        ["Diagnostics"] = ["Tensors", "Kernels", "LinearAlgebra", "Data", "IO"],
        ["Models"] = ["Tensors", "Kernels", "LinearAlgebra", "Layers", "Losses", "Data"],
        ["Training"] = ["Tensors", "Kernels", "LinearAlgebra", "Layers", "Losses", "Optimizers", "Data", "IO", "Diagnostics", "Models", "Distributed"],
        ["Export"] = ["Tensors", "Kernels", "LinearAlgebra", "Layers", "Losses", "Optimizers", "Data", "IO", "Diagnostics", "Models", "Distributed", "Training"],
        ["Experiments"] = ["Tensors", "Kernels", "LinearAlgebra", "Layers", "Losses", "Optimizers", "Data", "IO", "Diagnostics", "Models", "Distributed", "Training"],
    };

    [Fact]
    public void EveryFolderUsesOnlyTheFoldersBelowIt()
    {
        var uses = FolderUses(LibraryRoot());
        var unplaced = uses.Keys.Where(f => f != "" && !Allowed.ContainsKey(f)).ToList();
        Assert.True(unplaced.Count == 0, $"Folders with no place in ArchitectureTests.Allowed: {string.Join(", ", unplaced)}.");
        var violations = Violations(uses);
        Assert.True(violations.Count == 0, "Forbidden uses:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void NoTwoFoldersUseEachOther()
    {
        var uses = FolderUses(LibraryRoot());
        var cycles = (from a in uses from b in a.Value.Keys
                      where string.CompareOrdinal(a.Key, b) < 0 && uses.TryGetValue(b, out var back) && back.ContainsKey(a.Key)
                      select $"{a.Key} ↔ {b} ({string.Join(", ", a.Value[b])} / {string.Join(", ", uses[b][a.Key])})").ToList();
        Assert.True(cycles.Count == 0, "Folders that use each other:\n" + string.Join("\n", cycles));
    }

    [Fact]
    public void TheRulesThemselvesHaveNoCycle()
    {
        foreach (var (folder, below) in Allowed)
            foreach (var other in below)
                Assert.DoesNotContain(folder, Allowed[other]);
    }

    /// <summary>The checker itself: a forbidden using, a qualified name and a cycle are found; comments and strings are not read.</summary>
    [Fact]
    public void TheCheckerFindsAForbiddenUse()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(Path.Combine(dir.Path, "Layers"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "Training"));
        Directory.CreateDirectory(Path.Combine(dir.Path, "Kernels"));
        File.WriteAllText(Path.Combine(dir.Path, "Layers", "A.cs"), "using Carousel.Training;\nnamespace Carousel.Layers;\n// Carousel.IO in a comment\nclass A { string s = \"Carousel.Models\"; }");
        File.WriteAllText(Path.Combine(dir.Path, "Kernels", "B.cs"), "namespace Carousel.Kernels;\nclass B { int n = Carousel.Tensors.Size.Of; }");
        File.WriteAllText(Path.Combine(dir.Path, "Training", "C.cs"), "using Carousel.Layers;\nnamespace Carousel.Training;");
        var uses = FolderUses(dir.Path);
        Assert.Equal(["Training"], uses["Layers"].Keys);
        Assert.Equal(["Tensors"], uses["Kernels"].Keys);
        var violations = Violations(uses);
        Assert.Equal(2, violations.Count);
        Assert.Contains(violations, v => v.StartsWith("Layers uses Training", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("Kernels uses Tensors", StringComparison.Ordinal));
    }

    [Fact]
    public void TheLibraryNeverUsesTheCli()
    {
        var offenders = Directory.EnumerateFiles(LibraryRoot(), "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(f) && CliReference().IsMatch(StripCommentsAndStrings(File.ReadAllText(f)))).ToList();
        Assert.True(offenders.Count == 0, "The library uses the CLI in: " + string.Join(", ", offenders));
    }

    /// <summary>
    /// The server (src/Carousel.Serving) sits between the library and the CLI: the library never uses it, so the library
    /// package needs no ASP.NET Core, and it never uses the CLI, so the CLI stays a thin verb over it.
    /// </summary>
    [Fact]
    public void TheServerSitsBetweenTheLibraryAndTheCli()
    {
        string src = Path.GetDirectoryName(LibraryRoot())!;
        var libraryUsesServer = SourceFiles(LibraryRoot()).Where(f => ServingReference().IsMatch(StripCommentsAndStrings(File.ReadAllText(f)))).ToList();
        Assert.True(libraryUsesServer.Count == 0, "The library uses the server in: " + string.Join(", ", libraryUsesServer));
        var serverUsesCli = SourceFiles(Path.Combine(src, "Carousel.Serving")).Where(f => CliReference().IsMatch(StripCommentsAndStrings(File.ReadAllText(f)))).ToList();
        Assert.True(serverUsesCli.Count == 0, "The server uses the CLI in: " + string.Join(", ", serverUsesCli));
        string library = File.ReadAllText(Path.Combine(LibraryRoot(), "Carousel.csproj"));
        Assert.DoesNotContain("Microsoft.AspNetCore", library);
        Assert.DoesNotContain("Carousel.Serving", library);
        Assert.DoesNotContain("Carousel.Cli", File.ReadAllText(Path.Combine(src, "Carousel.Serving", "Carousel.Serving.csproj")));
    }

    private static IEnumerable<string> SourceFiles(string root) =>
        Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories).Where(f => !IsBuildOutput(f));

    private static List<string> Violations(Dictionary<string, Dictionary<string, List<string>>> uses) =>
        [.. from a in uses where a.Key != "" from b in a.Value
            where !Allowed[a.Key].Contains(b.Key)
            select $"{a.Key} uses {b.Key} in {string.Join(", ", b.Value)}"];

    /// <summary>folder → folder it uses → files that use it. Files at the library's root are under "".</summary>
    internal static Dictionary<string, Dictionary<string, List<string>>> FolderUses(string libraryRoot)
    {
        var result = new Dictionary<string, Dictionary<string, List<string>>>();
        foreach (var file in Directory.EnumerateFiles(libraryRoot, "*.cs", SearchOption.AllDirectories).Where(f => !IsBuildOutput(f)))
        {
            string relative = Path.GetRelativePath(libraryRoot, file);
            string folder = relative.Contains(Path.DirectorySeparatorChar) ? relative[..relative.IndexOf(Path.DirectorySeparatorChar)] : "";
            if (!result.TryGetValue(folder, out var used)) result[folder] = used = [];
            foreach (Match m in LibraryReference().Matches(StripCommentsAndStrings(File.ReadAllText(file))))
            {
                string other = m.Groups[1].Value;
                if (other == folder || other == "Cli") continue;
                if (!used.TryGetValue(other, out var files)) used[other] = files = [];
                if (!files.Contains(relative)) files.Add(relative);
            }
        }
        return result;
    }

    /// <summary>The source with comments, string and character literals blanked, so only code is read.</summary>
    internal static string StripCommentsAndStrings(string source) => CommentOrLiteral().Replace(source, " ");

    private static bool IsBuildOutput(string path) =>
        path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") || path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}");

    private static string LibraryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Carousel.slnx"))) return Path.Combine(dir.FullName, "src", "Carousel");
        throw new DirectoryNotFoundException("Carousel.slnx not found above the test binaries.");
    }

    [GeneratedRegex(@"\bCarousel\.([A-Z][A-Za-z]*)")]
    private static partial Regex LibraryReference();

    [GeneratedRegex(@"\bCarousel\.Cli\b")]
    private static partial Regex CliReference();

    [GeneratedRegex(@"\bCarousel\.Serving\b")]
    private static partial Regex ServingReference();

    // Verbatim and raw strings are rare in the library; a regular string, a char literal, a line or block comment.
    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:[^""]|"""")*""|""(?:\\.|[^""\\\n])*""|'(?:\\.|[^'\\\n])+'", RegexOptions.Singleline)]
    private static partial Regex CommentOrLiteral();
}
