using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using FluentAssertions;
using Xunit;

namespace RepLab.Host.Tests.Architecture;

/// <summary>
/// The assembly graph of docs/architecture.md is the contract: the references compiled into every
/// built RepLab assembly must equal its row of the table there (a plugin assembly's must lie within
/// the plugins' row), so a reference that runs the wrong way fails here, and so does a table that
/// no longer tells the truth.
/// </summary>
public class AssemblyReferenceTests
{
    private static string HostOutput => Path.GetDirectoryName(Repo.BuiltInPlugins)!;

    /// <summary>The table between the assembly-references markers: assembly -> the RepLab assemblies it may reference.</summary>
    internal static IReadOnlyDictionary<string, IReadOnlySet<string>> Documented(string markdown)
    {
        var block = Regex.Match(markdown, "<!-- assembly-references: begin -->(.*?)<!-- assembly-references: end -->", RegexOptions.Singleline);
        block.Success.Should().BeTrue("docs/architecture.md holds the table between its markers");
        var rows = new Dictionary<string, IReadOnlySet<string>>();
        foreach (var line in block.Groups[1].Value.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('|') && !l.StartsWith("|---") && !l.StartsWith("| assembly")))
        {
            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            rows[cells[0]] = cells[1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        }
        return rows;
    }

    /// <summary>The RepLab assemblies <paramref name="dll"/> references, read from its metadata (nothing is loaded).</summary>
    internal static IReadOnlySet<string> References(string dll)
    {
        using var pe = new PEReader(File.OpenRead(dll));
        var md = pe.GetMetadataReader();
        return md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name)).Where(IsOurs).ToHashSet();
    }

    private static bool IsOurs(string name) => name == "replab" || name.StartsWith("RepLab.", StringComparison.Ordinal);

    private static IReadOnlyDictionary<string, IReadOnlySet<string>> Table() =>
        Documented(File.ReadAllText(Path.Combine(Repo.Root, "docs", "architecture.md")));

    [Fact]
    public void Every_host_and_sdk_assembly_references_exactly_what_the_architecture_page_lists()
    {
        var table = Table();
        foreach (var (assembly, allowed) in table.Where(t => !t.Key.EndsWith('*')))
        {
            var dll = Locate(assembly);
            References(dll).Should().BeEquivalentTo(allowed, $"{assembly}'s references are its row in docs/architecture.md");
        }
        Directory.EnumerateFiles(HostOutput, "*.dll").Select(Path.GetFileNameWithoutExtension).Where(n => IsOurs(n!))
            .Should().BeSubsetOf(table.Keys, "every RepLab assembly beside the host has a row");
    }

    /// <summary>
    /// An assembly beside the host, a plugin's, or the conformance kit's (RepLab.Testing is built on
    /// its own: nothing beside the host references it, only test projects).
    /// </summary>
    private static string Locate(string assembly)
    {
        var dll = Path.Combine(HostOutput, assembly + ".dll");
        if (File.Exists(dll)) return dll;
        var kit = Path.Combine(Repo.Root, "testing", assembly, "bin", Path.GetFileName(Path.GetDirectoryName(HostOutput))!, "net10.0", assembly + ".dll");
        if (File.Exists(kit)) return kit;
        return Directory.EnumerateFiles(Repo.BuiltInPlugins, assembly + ".dll", SearchOption.AllDirectories).First();
    }

    [Fact]
    public void Plugin_assemblies_reference_only_the_sdk_the_engine_and_the_blocks()
    {
        var allowed = Table()["RepLab.Plugins.*"];
        var plugins = Directory.EnumerateFiles(Repo.BuiltInPlugins, "RepLab.Plugins.*.dll", SearchOption.AllDirectories).ToList();
        plugins.Should().HaveCountGreaterThanOrEqualTo(6);
        foreach (var dll in plugins)
            References(dll).Should().BeSubsetOf(allowed, $"{Path.GetFileName(dll)} never references the host");
    }
}
