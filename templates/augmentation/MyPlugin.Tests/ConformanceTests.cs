using RepLab.Testing;
using Xunit;

namespace MyPlugin.Tests;

/// <summary>
/// The checks every plugin passes (the same as `replab check`): options bind from defaults and from
/// YAML and are documented, one exercise of its kind on synthetic data, no leaked tensors, and for a
/// method an exact resume through a mid-training checkpoint.
/// </summary>
[Collection(nameof(Conformance))]
public sealed class ConformanceTests
{
    private static readonly string Folder = PluginFolder.Of(typeof(ConformanceTests).Assembly);

    public static TheoryData<string, string> Cases => Conformance.Cases(Folder);

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_plugin_passes_the_conformance_check(string plugin, string check) => Conformance.Assert(Folder, plugin, check);
}

/// <summary>The live-tensor count the kit watches is process-wide: conformance cases run alone.</summary>
[CollectionDefinition(nameof(Conformance), DisableParallelization = true)]
public sealed class ConformanceCollection;
