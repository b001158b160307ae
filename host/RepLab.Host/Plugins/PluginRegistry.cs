using Autofac;
using Autofac.Core;
using RepLab.Abstractions;

namespace RepLab.Host.Plugins;

/// <summary>
/// The discovered plugins registered in Autofac, keyed by kind (the plugin interface) and name;
/// <see cref="Create{T}"/> builds a plugin with its bound options record.
/// </summary>
public sealed class PluginRegistry : IDisposable
{
    /// <summary>The plugin interface each kind is registered under.</summary>
    private static readonly IReadOnlyDictionary<PluginKind, Type> ServiceOf = PluginKinds.Interfaces.ToDictionary(kv => kv.Value, kv => kv.Key);

    private readonly IContainer container;
    private readonly Dictionary<(PluginKind, string), PluginDescriptor> byName = [];

    public PluginRegistry(PluginCatalog catalog)
    {
        Catalog = catalog;
        var builder = new ContainerBuilder();
        foreach (var d in catalog.Plugins)
        {
            var service = ServiceOf[d.Kind];
            builder.RegisterType(d.Type).Keyed(d.Name, service).InstancePerDependency().ExternallyOwned();
            byName[(d.Kind, d.Name)] = d;
        }
        container = builder.Build();
    }

    public PluginCatalog Catalog { get; }

    /// <summary>
    /// The registry of the default folders (built-ins beside the host, REPLAB_PLUGIN_PATH) and
    /// <paramref name="extraFolders"/>; plugins that failed to load are named on stderr
    /// (<paramref name="quiet"/>: except folders that do not exist).
    /// </summary>
    public static PluginRegistry Load(bool quiet, IEnumerable<string>? extraFolders = null)
    {
        var catalog = new PluginCatalog();
        foreach (var folder in PluginCatalog.DefaultFolders().Concat(extraFolders ?? [])) catalog.AddFolder(folder);
        foreach (var f in catalog.Failures)
            if (!quiet || !f.FolderMissing) Console.Error.WriteLine($"replab: plugin not loaded: {f.Path}: {f.Reason}");
        if (!quiet)
            foreach (var n in catalog.Notes) Console.Error.WriteLine($"replab: note: {n.Path} {n.Message}");
        return new PluginRegistry(catalog);
    }

    /// <summary>The plugin of <paramref name="kind"/> called <paramref name="name"/>, or null.</summary>
    public PluginDescriptor? Find(PluginKind kind, string name) => byName.GetValueOrDefault((kind, name));

    /// <summary>Names of every plugin of <paramref name="kind"/>, for listings and did-you-mean.</summary>
    public IEnumerable<string> Names(PluginKind kind) => byName.Keys.Where(k => k.Item1 == kind).Select(k => k.Item2).Order(StringComparer.Ordinal);

    /// <summary>Builds plugin <paramref name="name"/> of the kind <typeparamref name="T"/> stands for, with its options.</summary>
    public T Create<T>(string name, PluginOptions? options = null) where T : class, IPlugin
    {
        var kind = PluginKinds.Interfaces[typeof(T)];
        return (T)Create(Find(kind, name) ?? throw new KeyNotFoundException($"no {kind.Yaml()} plugin named '{name}'"), options);
    }

    /// <summary>Builds the plugin <paramref name="d"/> describes with <paramref name="options"/> (its defaults when null).</summary>
    public IPlugin Create(PluginDescriptor d, PluginOptions? options = null)
    {
        options ??= (PluginOptions)Activator.CreateInstance(d.OptionsType)!;
        if (!d.OptionsType.IsInstanceOfType(options))
            throw new ArgumentException($"{d.Id} takes {d.OptionsType.Name}, not {options.GetType().Name}");
        Parameter[] parameters = d.OptionsType == typeof(NoOptions) ? [] : [new TypedParameter(d.OptionsType, options)];
        var service = ServiceOf[d.Kind];
        return (IPlugin)container.ResolveKeyed(d.Name, service, parameters);
    }

    public void Dispose() => container.Dispose();
}
