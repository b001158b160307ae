using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests.Blocks;

/// <summary>
/// The built-in methods use the shared blocks instead of copies: no run of code lines of a block stands again in
/// a plugin, and no run of code lines stands in two methods. Lines are compared without indentation, blank lines,
/// comments, braces, usings and attributes, so a copy re-indented or re-commented is still found.
/// </summary>
public class NoCopiedBlocksTests
{
    /// <summary>Lines of code in a row that make a copy: a block's loss or head is a few such lines.</summary>
    private const int BlockRun = 3;

    /// <summary>Between two methods a longer run, so that two similar declarations are not a copy.</summary>
    private const int MethodRun = 6;

    private static IEnumerable<string> Sources(params string[] parts) =>
        Directory.EnumerateFiles(Path.Combine([Repo.Root, .. parts]), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/"));

    /// <summary>A file's code lines, each with its line number.</summary>
    internal static IReadOnlyList<(int Line, string Code)> Code(string text) =>
        text.Split('\n').Select((l, i) => (Line: i + 1, Code: l.Trim()))
            .Where(l => l.Code.Length > 0 && l.Code is not ("{" or "}" or "};" or ");" or ")")
                        && !l.Code.StartsWith("//", StringComparison.Ordinal) && !IsUsingDirective(l.Code)
                        && !l.Code.StartsWith("namespace ", StringComparison.Ordinal) && !l.Code.StartsWith('['))
            .ToList();

    private static bool IsUsingDirective(string line) =>
        line.StartsWith("using ", StringComparison.Ordinal) && line.EndsWith(';') && !line.StartsWith("using var ", StringComparison.Ordinal) && !line.Contains('(');

    /// <summary>Every run of <paramref name="length"/> code lines, keyed by its text, with where it starts.</summary>
    internal static IEnumerable<(string Run, int Line)> Runs(string text, int length)
    {
        var code = Code(text);
        for (var i = 0; i + length <= code.Count; i++)
            yield return (string.Join('\n', code.Skip(i).Take(length).Select(c => c.Code)), code[i].Line);
    }

    /// <summary>Where a run of <paramref name="length"/> lines of <paramref name="original"/> stands in <paramref name="other"/>.</summary>
    internal static IEnumerable<int> Copies(string original, string other, int length)
    {
        var runs = Runs(original, length).Select(r => r.Run).ToHashSet();
        return Runs(other, length).Where(r => runs.Contains(r.Run)).Select(r => r.Line);
    }

    [Fact]
    public void No_plugin_holds_a_copy_of_a_block()
    {
        var copies = from block in Sources("blocks", "RepLab.Blocks")
                     from plugin in Sources("plugins")
                     from line in Copies(File.ReadAllText(block), File.ReadAllText(plugin), BlockRun).Take(1)
                     select $"{Path.GetRelativePath(Repo.Root, plugin)}:{line} repeats {Path.GetRelativePath(Repo.Root, block)}";
        copies.Should().BeEmpty();
    }

    [Fact]
    public void No_two_methods_share_a_run_of_code()
    {
        var methods = Directory.GetDirectories(Path.Combine(Repo.Root, "plugins", "Methods")).Where(d => !d.EndsWith("/obj") && !d.EndsWith("/bin"))
            .Select(d => (Name: Path.GetFileName(d), Text: string.Join('\n', Sources("plugins", "Methods", Path.GetFileName(d)).Order().Select(File.ReadAllText)))).ToList();
        var copies = from a in methods
                     from b in methods
                     where string.CompareOrdinal(a.Name, b.Name) < 0
                     from line in Copies(a.Text, b.Text, MethodRun).Take(1)
                     select $"{b.Name} (code line {line}) repeats {MethodRun} lines of {a.Name}";
        copies.Should().BeEmpty();
    }

    [Fact]
    public void A_copied_block_is_found_however_it_is_indented_or_commented()
    {
        // The check itself: NT-Xent's body pasted into a method with other indentation and a comment between.
        var block = File.ReadAllText(Path.Combine(Repo.Root, "blocks", "RepLab.Blocks", "Losses", "NtXentLoss.cs"));
        var code = Code(block).Select(c => c.Code).ToList();
        var first = code.FindIndex(c => c.StartsWith("var ", StringComparison.Ordinal));
        var body = code.Skip(first).TakeWhile(c => !c.StartsWith("return ", StringComparison.Ordinal)).ToList();
        body.Should().HaveCountGreaterThanOrEqualTo(BlockRun);
        var pasted = "class Copy\n{\n    void Step()\n    {\n" + string.Join("\n        // tuned\n", body.Select(l => "            " + l)) + "\n    }\n}\n";
        Copies(block, pasted, BlockRun).Should().NotBeEmpty();
        Copies(block, "class Other { void Step() { var x = 1; var y = 2; var z = 3; } }", BlockRun).Should().BeEmpty();
    }
}
