using RepLab.Abstractions;
using RepLab.Config;
using RepLab.Host.Plugins;

namespace RepLab.Host.Experiment;

/// <summary>
/// Binds the parts of one experiment, collecting every located error instead of stopping at the
/// first: plugin subtrees (each plugin constructed once, here), the view pipelines, the host's
/// sections, the optimizer groups and the seed.
/// </summary>
internal sealed class ExperimentBinder(ResolvedConfig config, PluginRegistry registry)
{
    private readonly List<ConfigError> errors = [];

    public void Report(IEnumerable<ConfigError> found) => errors.AddRange(found);

    public void ThrowIfAny()
    {
        if (errors.Count > 0) throw new ConfigException(errors);
    }

    /// <summary>Runs <paramref name="check"/>; false with its errors recorded when it refused.</summary>
    public bool Check(Action check) => Try(() => { check(); return this; }) is not null;

    /// <summary><paramref name="f"/>(), or null with its errors recorded.</summary>
    public T? Try<T>(Func<T> f) where T : class
    {
        try { return f(); }
        catch (ConfigException e) { errors.AddRange(e.Errors); return null; }
    }

    /// <summary>The experiment's name: <c>name:</c>, else the file's name.</summary>
    public static string Name(ResolvedConfig config) =>
        config.Get("name") is ConfigScalar n ? n.Value : Path.GetFileNameWithoutExtension(config.Sources.FirstOrDefault() ?? "experiment");

    public PluginChoice? Choose(string path, PluginKind kind, bool required) => Choose(config.Get(path), path, kind, required);

    /// <summary>The plugin <paramref name="node"/> names, its options bound and the plugin built with them.</summary>
    public PluginChoice? Choose(ConfigNode? node, string path, PluginKind kind, bool required)
    {
        if (node is null)
        {
            if (required) errors.Add(new ConfigError(config.Root.Location, path, $"missing section '{path}': name a {kind.Yaml()} plugin, e.g. {path}: {{ plugin: {registry.Names(kind).FirstOrDefault() ?? "..."} }}"));
            return null;
        }
        return Try(() =>
        {
            var name = PluginSubtree.PluginName(node, path, registry.Names(kind).ToList(), kind.Yaml(), registry.Catalog.NotFoundHint(kind));
            var d = registry.Find(kind, name)!;
            var options = (PluginOptions)PluginSubtree.BindOptions(d.OptionsType, node, path);
            return new PluginChoice(d, options, path, registry.Create(d, options));
        });
    }

    /// <summary>A list section of plugins (<c>evaluation:</c>, <c>callbacks:</c>).</summary>
    public List<PluginChoice> ChooseList(string key, PluginKind kind)
    {
        var chosen = new List<PluginChoice>();
        if (config.Get(key) is not { } node) return chosen;
        if (node is ConfigList list)
            chosen.AddRange(list.Items.Select((e, i) => Choose(e, $"{key}.{i}", kind, true)).OfType<PluginChoice>());
        else errors.Add(new ConfigError(node.Location, key, $"expected a list of {kind.Yaml()}s, got {node.Describe()}"));
        return chosen;
    }

    /// <summary>The <c>views:</c> section: a list of pipelines, each a list of augmentations.</summary>
    public List<IReadOnlyList<PluginChoice>> Views()
    {
        var views = new List<IReadOnlyList<PluginChoice>>();
        if (config.Get("views") is not { } node) return views;
        if (node is not ConfigList list)
        {
            errors.Add(new ConfigError(node.Location, "views", $"expected a list of pipelines (each a list of augmentations), got {node.Describe()}"));
            return views;
        }
        for (var v = 0; v < list.Items.Count; v++)
        {
            if (list.Items[v] is not ConfigList steps)
            {
                errors.Add(new ConfigError(list.Items[v].Location, $"views.{v}", $"expected a list of augmentations, got {list.Items[v].Describe()}"));
                continue;
            }
            views.Add(steps.Items.Select((s, i) => Choose(s, $"views.{v}.{i}", PluginKind.Augmentation, true)).OfType<PluginChoice>().ToList());
        }
        return views;
    }

    /// <summary>One of the host's own sections bound to its record; defaults when it is absent or wrong.</summary>
    public T Section<T>(string key) where T : class, new() =>
        config.Get(key) is { } n ? Try(() => OptionsBinder.Bind<T>(n, key)) ?? new T() : new T();

    /// <summary><c>optimizer:</c> and <c>optimizers: { group: ... }</c>, each group one the method declared, every setting checked.</summary>
    public OptimizerOverrides Optimizers(PluginChoice? method, MethodNeeds? needs)
    {
        var all = config.Get("optimizer");
        if (all is not null) Check(() => OptimizerOverrides.Check(all, "optimizer"));
        var groups = new Dictionary<string, ConfigNode>();
        if (config.Get("optimizers") is not { } node) return new OptimizerOverrides(all, groups);
        var declared = needs?.OptimizerGroups.Keys.ToList() ?? [];
        if (node is not ConfigMap map)
        {
            errors.Add(new ConfigError(node.Location, "optimizers",
                $"expected a map of optimizer group to settings (the method's groups: {Listed(declared)}), got {node.Describe()}"));
            return new OptimizerOverrides(all, groups);
        }
        foreach (var e in map.Entries)
        {
            if (method is not null && needs is not null && !declared.Contains(e.Key))
                errors.Add(new ConfigError(e.KeyLocation, $"optimizers.{e.Key}",
                    $"method '{method.Descriptor.Name}' has no optimizer group '{e.Key}'{DidYouMean.Hint(e.Key, declared)}; its groups: {Listed(declared)}"));
            else if (Check(() => OptimizerOverrides.Check(e.Value, $"optimizers.{e.Key}")))
                groups[e.Key] = e.Value;
        }
        return new OptimizerOverrides(all, groups);
    }

    /// <summary><c>seed:</c>, a non-negative integer (default 0).</summary>
    public ulong Seed()
    {
        if (config.Get("seed") is not { } node) return 0;
        if (node is ConfigScalar s && s.TryGetInteger(out var v) && v >= 0) return (ulong)v;
        errors.Add(new ConfigError(node.Location, "seed", $"expected a non-negative integer, got {node.Describe()}"));
        return 0;
    }

    internal static string Listed(IReadOnlyCollection<string> names) => names.Count == 0 ? "none" : string.Join(", ", names);
}
