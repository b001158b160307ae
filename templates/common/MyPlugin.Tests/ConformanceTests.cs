using System.Reflection;
using RepLab.Testing;
using Xunit;

namespace MyPlugin.Tests;

/// <summary>
/// The checks every plugin passes (the same as `replab check`): options bind from defaults and from
/// YAML and are documented, one exercise of its kind on synthetic data that leaves no tensors behind,
/// and for a method an exact resume through a mid-training checkpoint.
/// </summary>
[Collection(nameof(ConformanceCollection))]
public sealed class ConformanceTests
{
    /// <summary>The plugin's build output, as the host loads it (MyPlugin.Tests.csproj writes it into this assembly).</summary>
    private static readonly string Folder = typeof(ConformanceTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PluginFolder").Value!;

    public static IEnumerable<object[]> Cases => ConformanceCases.For(Folder);

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_plugin_passes_the_conformance_check(string plugin, string check) => Conformance.Assert(Folder, plugin, check);
}

/// <summary>The live-tensor count the checks watch is process-wide: conformance cases run alone.</summary>
[CollectionDefinition(nameof(ConformanceCollection), DisableParallelization = true)]
public sealed class ConformanceCollection;
