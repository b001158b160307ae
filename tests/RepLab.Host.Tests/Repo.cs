using System.Reflection;

namespace RepLab.Host.Tests;

/// <summary>Paths inside the repository the tests run from.</summary>
public static class Repo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Framework.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root (Framework.sln) not found above " + AppContext.BaseDirectory);
    }

    public static string Fixture(string name) => Path.Combine(Root, "tests", "fixtures", "out", name);

    /// <summary>The host's built-in plugins folder for the configuration these tests were built in.</summary>
    public static string BuiltInPlugins { get; } = Path.Combine(Root, "host", "RepLab.Host", "bin",
        typeof(Repo).Assembly.GetCustomAttribute<System.Reflection.AssemblyConfigurationAttribute>()!.Configuration, "net10.0", "plugins");

    /// <summary>The built CLI (replab.dll) beside the built-in plugins: what a sweep starts its trials as.</summary>
    public static string BuiltCli => Path.Combine(Path.GetDirectoryName(BuiltInPlugins)!, "replab.dll");

    private static readonly Lazy<RepLab.Host.Plugins.PluginRegistry> builtIns =
        new(() => new RepLab.Host.Plugins.PluginRegistry(new RepLab.Host.Plugins.PluginCatalog().AddFolder(BuiltInPlugins)));

    /// <summary>One registry of the built-in plugins, shared by the tests (plugin contexts are never unloaded).</summary>
    public static RepLab.Host.Plugins.PluginRegistry BuiltIns => builtIns.Value;

    /// <summary>The SDK fixtures: third-party-style plugin folders, one assembly each.</summary>
    public static IReadOnlyList<string> SdkFixtures { get; } =
    [
        "SdkEma", "SdkPlan", "SdkRepresentation", "SdkFeatureMaps", "SdkGroups", "SdkFewLabels", "SdkFrozenStage", "SdkStepLogging", "SdkOnlineProbe", "SdkNoise",
    ];

    private static readonly Lazy<RepLab.Host.Plugins.PluginRegistry> allPlugins = new(() =>
    {
        var catalog = new RepLab.Host.Plugins.PluginCatalog().AddFolder(BuiltInPlugins);
        foreach (var f in SdkFixtures) catalog.AddFolder(Fixture(f));
        return new RepLab.Host.Plugins.PluginRegistry(catalog);
    });

    /// <summary>The built-in plugins and the SDK fixtures in one registry (plugin contexts are never unloaded).</summary>
    public static RepLab.Host.Plugins.PluginRegistry AllPlugins => allPlugins.Value;
}
