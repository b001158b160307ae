using System.Reflection;
using RepLab.Abstractions;

namespace RepLab.Host.Plugins;

/// <summary>One discovered plugin: its kind, name, implementing type, options type and origin.</summary>
public sealed record PluginDescriptor(PluginKind Kind, string Name, Type Type, Type OptionsType, string AssemblyPath, string Version, PluginAttribute Attribute)
{
    /// <summary>"method/simclr".</summary>
    public string Id => $"{Kind.Yaml()}/{Name}";
}

/// <summary>A plugin assembly (or type) that could not be loaded, with the reason.</summary>
public sealed record PluginLoadFailure(string Path, string Reason)
{
    /// <summary>The folder itself is missing (a plugin path that names nothing yet): said where it is named, not in every listing.</summary>
    public bool FolderMissing { get; init; }
}

/// <summary>
/// Something in a plugin folder that loaded but is probably not what its author meant: a class of a
/// plugin kind without <see cref="PluginAttribute"/> (<paramref name="Kind"/> set), a private copy of
/// an SDK assembly the host never uses.
/// </summary>
public sealed record PluginNote(string Path, PluginKind? Kind, string Message);

/// <summary>
/// Finds plugin assemblies in folders, loads each in its own <see cref="PluginLoadContext"/> and
/// collects the public classes marked with <see cref="PluginAttribute"/>. Built-in plugins come in
/// through exactly this path. A plugin that fails to load is recorded with its path and reason;
/// the others still load.
/// </summary>
public sealed class PluginCatalog
{
    /// <summary>Environment variable with extra plugin folders, separated by ':'.</summary>
    public const string PathVariable = "REPLAB_PLUGIN_PATH";

    /// <summary>The assemblies every plugin shares with the host (the SDK, the engine and what they reference).</summary>
    internal static readonly IReadOnlySet<string> Shared = SharedAssemblyNames();
    private readonly List<PluginDescriptor> plugins = [];
    private readonly List<PluginLoadFailure> failures = [];
    private readonly List<PluginNote> notes = [];
    private readonly HashSet<string> loaded = new(StringComparer.Ordinal);

    /// <summary>Every plugin found so far.</summary>
    public IReadOnlyList<PluginDescriptor> Plugins => plugins;

    /// <summary>Every assembly or type that failed to load.</summary>
    public IReadOnlyList<PluginLoadFailure> Failures => failures;

    /// <summary>Plugin-kind classes without [Plugin] and private SDK copies found beside plugins.</summary>
    public IReadOnlyList<PluginNote> Notes => notes;

    /// <summary>
    /// What may explain that no <paramref name="kind"/> plugin has a name the user gave: unmarked classes
    /// of that kind, and the assemblies that did not load ("" when there is nothing to say).
    /// </summary>
    public string NotFoundHint(PluginKind kind) =>
        string.Concat(notes.Where(n => n.Kind == kind || n.Kind is null).Select(n => $"; note: {n.Path} {n.Message}")
            .Concat(failures.Where(f => !f.FolderMissing).Select(f => $"; note: plugin not loaded: {f.Path}: {f.Reason}")));

    /// <summary>The built-in plugins' folder, beside the host.</summary>
    public static string BuiltInFolder => Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>Whether <paramref name="path"/> is <paramref name="folder"/> or lies below it.</summary>
    internal static bool IsUnder(string path, string folder)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        return full == root || full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }

    /// <summary>The folders searched by default: built-ins beside the host, then <see cref="PathVariable"/>.</summary>
    public static IEnumerable<string> DefaultFolders()
    {
        yield return BuiltInFolder;
        var extra = Environment.GetEnvironmentVariable(PathVariable);
        if (string.IsNullOrEmpty(extra)) yield break;
        foreach (var p in extra.Split(':', StringSplitOptions.RemoveEmptyEntries)) yield return p;
    }

    /// <summary>
    /// Scans <paramref name="folder"/> and its sub-folders for plugin assemblies: a <c>X.dll</c>
    /// with a <c>X.deps.json</c> beside it is a plugin's main assembly.
    /// </summary>
    public PluginCatalog AddFolder(string folder)
    {
        if (!Directory.Exists(folder))
        {
            failures.Add(new(folder, "plugin folder does not exist") { FolderMissing = true });
            return this;
        }
        foreach (var deps in Directory.EnumerateFiles(folder, "*.deps.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var dll = deps[..^".deps.json".Length] + ".dll";
            if (File.Exists(dll)) AddAssembly(dll);
        }
        // A dll that is neither a plugin (no deps.json of its own) nor a dependency some plugin beside
        // it lists is not loaded; say so rather than ignore it (a copied file, a half-finished build).
        foreach (var dir in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories).Prepend(folder))
        {
            var listed = string.Concat(Directory.EnumerateFiles(dir, "*.deps.json").Select(File.ReadAllText));
            foreach (var dll in Directory.EnumerateFiles(dir, "*.dll").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(dll);
                if (File.Exists(Path.ChangeExtension(dll, ".deps.json")) || listed.Contains(name + "\"", StringComparison.OrdinalIgnoreCase)) continue;
                failures.Add(new(Path.GetFullPath(dll), $"not loaded: {name} has no {Path.GetFileNameWithoutExtension(name)}.deps.json beside it and no plugin in its folder depends on it " +
                    "(a plugin's build output holds both files: copy the whole output folder)"));
            }
        }
        return this;
    }

    /// <summary>Loads one plugin assembly in its own context and registers its plugins.</summary>
    public PluginCatalog AddAssembly(string path)
    {
        var full = Path.GetFullPath(path);
        if (!loaded.Add(full) || Shared.Contains(Path.GetFileNameWithoutExtension(full))) return this;
        if (!Checked(full)) return this;
        Assembly assembly;
        try
        {
            assembly = new PluginLoadContext(full, Shared).LoadFromAssemblyPath(full);
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException)
        {
            failures.Add(new(full, e.Message));
            return this;
        }
        Type[] types;
        try
        {
            types = assembly.GetExportedTypes();
        }
        catch (Exception e) when (e is ReflectionTypeLoadException or FileNotFoundException or FileLoadException or TypeLoadException)
        {
            failures.Add(new(full, e is ReflectionTypeLoadException r ? string.Join("; ", r.LoaderExceptions.Select(x => x?.Message).Distinct()) : e.Message));
            return this;
        }
        var version = assembly.GetName().Version?.ToString() ?? "0.0.0";
        // An assembly loads whole or not at all: one refused plugin refuses its siblings, so an
        // experiment never runs on half of a package.
        var found = new List<PluginDescriptor>();
        var problems = new List<string>();
        foreach (var type in types)
        {
            try
            {
                var attr = type.GetCustomAttribute<PluginAttribute>();
                if (attr is null)
                {
                    if (PluginBuildChecks.Unmarked(type) is var (kind, message)) notes.Add(new(full, kind, message));
                    continue;
                }
                var problem = Describe(type, attr, full, version, out var descriptor);
                if (problem is not null) problems.Add($"{type.FullName}: {problem}");
                else if (plugins.Concat(found).FirstOrDefault(p => p.Kind == descriptor!.Kind && p.Name == descriptor.Name) is { } clash)
                    problems.Add($"{descriptor!.Id} is already provided by {clash.AssemblyPath}");
                else found.Add(descriptor!);
            }
            catch (Exception e) when (e is TypeLoadException or FileNotFoundException or FileLoadException)
            {
                problems.Add($"{type.FullName}: {e.Message}");
            }
        }
        if (problems.Count == 0) plugins.AddRange(found);
        else
            failures.Add(new(full, string.Join("; ", problems) +
                (found.Count == 0 ? "" : $" (so its other plugins are not loaded either: {string.Join(", ", found.Select(f => f.Id))})")));
        return this;
    }

    /// <summary>
    /// Whether <paramref name="full"/> may be loaded: a sound deps.json (the runtime's dependency resolver aborts
    /// the process on some malformed ones, seen with "{}"), a compatible SDK, every dependency present (read
    /// from files and metadata, before .NET fails later and less clearly). Private SDK copies are noted.
    /// </summary>
    private bool Checked(string full)
    {
        var problem = CheckDepsJson(Path.ChangeExtension(full, ".deps.json")) ?? PluginBuildChecks.SdkMismatch(full) ?? PluginBuildChecks.MissingDependencies(full, Shared);
        if (problem is not null)
        {
            failures.Add(new(full, problem));
            return false;
        }
        foreach (var (copy, message) in PluginBuildChecks.PrivateSdkCopies(full, Shared))
            if (!notes.Any(n => n.Path == copy)) notes.Add(new(copy, null, message));
        return true;
    }

    private static string? CheckDepsJson(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            if (root.ValueKind != System.Text.Json.JsonValueKind.Object || !root.TryGetProperty("runtimeTarget", out _) || !root.TryGetProperty("targets", out _))
                return $"{Path.GetFileName(path)} lacks 'runtimeTarget' or 'targets': not a .NET dependency manifest";
            return null;
        }
        catch (System.Text.Json.JsonException e)
        {
            return $"{Path.GetFileName(path)} is not valid JSON: {e.Message}";
        }
    }

    private static string? Describe(Type type, PluginAttribute attr, string path, string version, out PluginDescriptor? descriptor)
    {
        descriptor = null;
        if (type.IsAbstract || !type.IsClass) return "a plugin must be a concrete class";
        var kinds = PluginKinds.Interfaces.Where(kv => kv.Key.IsAssignableFrom(type)).Select(kv => kv.Value).ToList();
        if (kinds.Count != 1)
            return $"a plugin implements exactly one of {string.Join(", ", PluginKinds.Interfaces.Keys.Select(k => k.Name))} (found {kinds.Count})";
        var ctors = type.GetConstructors();
        if (ctors.Length != 1) return "a plugin has exactly one public constructor";
        var optionParams = ctors[0].GetParameters().Where(p => typeof(PluginOptions).IsAssignableFrom(p.ParameterType)).ToList();
        if (optionParams.Count > 1) return "a plugin's constructor takes at most one options record";
        var optionsType = optionParams.Count == 1 ? optionParams[0].ParameterType : typeof(NoOptions);
        if (optionsType.GetConstructor(Type.EmptyTypes) is null) return $"options type {optionsType.Name} needs a parameterless constructor";
        if (!IsKebab(attr.Name)) return $"plugin name '{attr.Name}' is not kebab-case";
        descriptor = new PluginDescriptor(kinds[0], attr.Name, type, optionsType, path, version, attr);
        return null;
    }

    private static bool IsKebab(string name) =>
        name.Length > 0 && char.IsAsciiLetterLower(name[0]) && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
        && !name.EndsWith('-') && !name.Contains("--");

    /// <summary>The SDK assembly and everything it references that the host has: these stay shared.</summary>
    private static IReadOnlySet<string> SharedAssemblyNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<Assembly>([typeof(IPlugin).Assembly]);
        while (queue.Count > 0)
        {
            var a = queue.Dequeue();
            if (!names.Add(a.GetName().Name!)) continue;
            foreach (var r in a.GetReferencedAssemblies())
            {
                if (r.Name is null || names.Contains(r.Name)) continue;
                try { queue.Enqueue(System.Runtime.Loader.AssemblyLoadContext.Default.LoadFromAssemblyName(r)); }
                catch (FileNotFoundException) { }
            }
        }
        return names;
    }
}
