using RepLab.Host.Conformance;

namespace RepLab.Testing;

/// <summary>
/// The conformance checks of <c>replab check</c>, for a plugin's own test project, in any test
/// framework: list the cases with <see cref="ConformanceCases.For"/> and run each with
/// <see cref="Assert"/>, which throws <see cref="ConformanceFailedException"/> with the reason.
/// </summary>
/// <example>
/// With xunit:
/// <code>
/// public static IEnumerable&lt;object[]&gt; Cases => ConformanceCases.For(PluginFolder);
/// [Theory, MemberData(nameof(Cases))]
/// public void Conforms(string plugin, string check) => Conformance.Assert(PluginFolder, plugin, check);
/// </code>
/// </example>
/// <remarks>
/// One kit serves the whole test process: plugin load contexts are never unloaded, and the
/// live-handle count a method's check reads is process-wide, so run the cases one at a time
/// (xunit: a collection with <c>DisableParallelization = true</c>).
/// </remarks>
public static class Conformance
{
    private static readonly Lazy<PluginChecks> kit = new(() => new PluginChecks(BuiltInPlugins is { } folder ? [folder] : null));

    /// <summary>
    /// The folder of the built-in plugins the exercises use (the <c>synthetic</c> dataset, the
    /// <c>conv-small</c> encoder). Null (the default): the host's default folders, that is the
    /// <c>plugins</c> folder beside the test assembly and the folders of REPLAB_PLUGIN_PATH. Set it
    /// before the first case is listed or run.
    /// </summary>
    public static string? BuiltInPlugins { get; set; }

    /// <summary>The one kit of this process, holding the built-ins and every folder listed or checked so far.</summary>
    public static PluginChecks Kit => kit.Value;

    /// <summary>Runs <paramref name="check"/> of <paramref name="plugin"/> (an id, "method/my-method") from <paramref name="pluginFolder"/>.</summary>
    public static ConformanceResult Run(string pluginFolder, string plugin, string check)
    {
        Kit.Add(pluginFolder);
        return Kit.Run(plugin, check);
    }

    /// <summary>Runs one case and throws <see cref="ConformanceFailedException"/> (its message: plugin, check and reason) when it fails.</summary>
    public static void Assert(string pluginFolder, string plugin, string check)
    {
        var result = Run(pluginFolder, plugin, check);
        if (!result.Passed) throw new ConformanceFailedException(result);
    }
}

/// <summary>A conformance check that failed; <see cref="Exception.InnerException"/> is what the plugin threw, if it threw.</summary>
public sealed class ConformanceFailedException(ConformanceResult result)
    : Exception($"{result.Plugin}: {result.Check} failed: {result.Reason}", result.Error)
{
    /// <summary>The failed case's result.</summary>
    public ConformanceResult Result { get; } = result;
}

/// <summary>The conformance cases of a plugin folder, as test-framework data.</summary>
public static class ConformanceCases
{
    /// <summary>Every (plugin id, check) case of the plugins in <paramref name="pluginFolder"/>, as rows for a parametrised test (xunit's MemberData, NUnit's TestCaseSource).</summary>
    public static IEnumerable<object[]> For(string pluginFolder) =>
        Conformance.Kit.Cases(pluginFolder).Select(c => new object[] { c.Plugin, c.Check });

    /// <summary>The cases of <paramref name="pluginFolder"/> as typed pairs.</summary>
    public static IReadOnlyList<ConformanceCase> List(string pluginFolder) => Conformance.Kit.Cases(pluginFolder);
}
