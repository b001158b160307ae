using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using RepLab.Abstractions;

namespace RepLab.Host.Plugins;

/// <summary>
/// Mistakes in how a plugin was built, found from its files and metadata before (or instead of) .NET's
/// own failure, each named with what to change: another SDK version, a private SDK copy, a plugin
/// class without its attribute.
/// </summary>
internal static class PluginBuildChecks
{
    private static readonly AssemblyName Sdk = typeof(IPlugin).Assembly.GetName();

    /// <summary>The engine binding, shared like the SDK and versioned with it.</summary>
    private static readonly AssemblyName Engine = typeof(RepLab.Torch.Tensor).Assembly.GetName();

    /// <summary>
    /// Why the assembly at <paramref name="path"/> cannot use this host's SDK (or engine binding), read from its
    /// references without loading it, or null. Their assembly versions are Major.Minor.0.0: a plugin loads with
    /// the same major and the same or an older minor (patch releases stay binary-compatible).
    /// </summary>
    public static string? SdkMismatch(string path) =>
        SharedMismatch(path, Sdk.Name!, Sdk.Version!, "SDK") ?? SharedMismatch(path, Engine.Name!, Engine.Version!, "engine binding");

    private static string? SharedMismatch(string path, string name, Version host, string what)
    {
        if (Referenced(path, name) is not { } built || Compatible(built, host)) return null;
        return $"built against RepLab {what} {built.Major}.{built.Minor} ({name} {built}), but this RepLab's {what} is {host.Major}.{host.Minor} ({host}): " +
               $"a plugin loads with the same major version and the same or an older minor; rebuild it against {name} {host.Major}.{host.Minor} " +
               $"or use a RepLab whose {what} is {built.Major}.{built.Minor} or newer within major {built.Major}";
    }

    /// <summary>Whether a plugin built against SDK <paramref name="built"/> runs on SDK <paramref name="host"/>: the same major, the same or an older minor.</summary>
    internal static bool Compatible(Version built, Version host) => built.Major == host.Major && built.Minor <= host.Minor;

    /// <summary>The version of <paramref name="name"/> that <paramref name="path"/> references, or null (none, or not a .NET assembly: loading says so).</summary>
    private static Version? Referenced(string path, string name)
    {
        try
        {
            using var pe = new PEReader(File.OpenRead(path));
            if (!pe.HasMetadata) return null;
            var md = pe.GetMetadataReader();
            return md.AssemblyReferences.Select(md.GetAssemblyReference).Where(r => md.GetString(r.Name) == name).Select(r => r.Version).FirstOrDefault();
        }
        catch (BadImageFormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Why the plugin at <paramref name="path"/> would fail when first used, or null: assemblies its
    /// deps.json lists that are neither in its folder, nor shared, nor the host's. A class library built
    /// without EnableDynamicLoading leaves its package dependencies out of its output (and has no
    /// runtimeconfig.json); it loads, then fails inside the run with a type initializer's exception.
    /// </summary>
    public static string? MissingDependencies(string path, IReadOnlySet<string> shared)
    {
        var folder = Path.GetDirectoryName(path)!;
        var depsPath = Path.ChangeExtension(path, ".deps.json");
        if (!File.Exists(depsPath)) return null;
        var missing = RuntimeAssemblies(depsPath)
            .Where(dll => !shared.Contains(Path.GetFileNameWithoutExtension(dll)) && !File.Exists(Path.Combine(folder, dll)) && !File.Exists(Path.Combine(AppContext.BaseDirectory, dll)))
            .Distinct().Order(StringComparer.Ordinal).ToList();
        if (missing.Count == 0) return null;
        var fix = File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json"))
            ? "copy the plugin's whole build output folder"
            : "it was built without <EnableDynamicLoading>true</EnableDynamicLoading>, which copies a plugin's package dependencies into its output: " +
              "add that property to the plugin's csproj and rebuild";
        return $"{Path.GetFileName(path)} depends on {string.Join(", ", missing)} ({Path.GetFileName(Path.ChangeExtension(path, ".deps.json"))}), not in its folder {folder}: {fix}";
    }

    /// <summary>The file names of the runtime assemblies a deps.json lists for its runtime target (none when its shape is not the usual one).</summary>
    private static IEnumerable<string> RuntimeAssemblies(string depsPath)
    {
        using var deps = System.Text.Json.JsonDocument.Parse(File.ReadAllText(depsPath));
        var root = deps.RootElement;
        if (!root.TryGetProperty("runtimeTarget", out var target) || target.ValueKind != System.Text.Json.JsonValueKind.Object
            || !target.TryGetProperty("name", out var name) || !root.TryGetProperty("targets", out var targets)
            || targets.ValueKind != System.Text.Json.JsonValueKind.Object || !targets.TryGetProperty(name.GetString() ?? "", out var libraries)
            || libraries.ValueKind != System.Text.Json.JsonValueKind.Object)
            return [];
        var files = new List<string>();
        foreach (var library in libraries.EnumerateObject())
            if (library.Value.ValueKind == System.Text.Json.JsonValueKind.Object && library.Value.TryGetProperty("runtime", out var runtime)
                && runtime.ValueKind == System.Text.Json.JsonValueKind.Object)
                files.AddRange(runtime.EnumerateObject().Select(a => Path.GetFileName(a.Name)));
        return files;
    }

    /// <summary>The host's shared assemblies (the SDK, the engine) that a plugin's folder holds copies of, which are never loaded.</summary>
    public static IEnumerable<(string Path, string Message)> PrivateSdkCopies(string plugin, IReadOnlySet<string> shared) =>
        Directory.EnumerateFiles(Path.GetDirectoryName(plugin)!, "RepLab.*.dll")
            .Where(f => shared.Contains(Path.GetFileNameWithoutExtension(f)))
            .Order(StringComparer.Ordinal)
            .Select(f => (f, $"is a private copy of an SDK assembly beside {Path.GetFileName(plugin)}: the host always uses its own, so this copy is never loaded " +
                             "(and would hide a version mismatch); reference the SDK so it is not copied: " +
                             "<ProjectReference ... Private=\"false\" ExcludeAssets=\"runtime\" /> or <PackageReference ... ExcludeAssets=\"runtime;native\" />"));

    /// <summary>The kind <paramref name="type"/> would be as a plugin and why it is not one, when it is a concrete class of a plugin kind without [Plugin].</summary>
    public static (PluginKind Kind, string Message)? Unmarked(Type type)
    {
        if (!type.IsClass || type.IsAbstract) return null;
        var kind = PluginKinds.Interfaces.FirstOrDefault(kv => kv.Key.IsAssignableFrom(type));
        if (kind.Key is null) return null;
        return (kind.Value, $"loaded and holds {type.Name} implementing {kind.Key.Name} but without [Plugin(\"name\")]: add the attribute to make it a plugin");
    }
}
