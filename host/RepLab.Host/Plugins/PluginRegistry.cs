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
    private readonly IContainer container;
    private readonly Dictionary<(PluginKind, string), PluginDescriptor> byName = [];

    public PluginRegistry(PluginCatalog catalog)
    {
        Catalog = catalog;
        var builder = new ContainerBuilder();
        foreach (var d in catalog.Plugins)
        {
            var service = PluginKinds.Interfaces.Single(kv => kv.Value == d.Kind).Key;
            builder.RegisterType(d.Type).Keyed(d.Name, service).InstancePerDependency().ExternallyOwned();
            byName[(d.Kind, d.Name)] = d;
        }
        container = builder.Build();
    }

    public PluginCatalog Catalog { get; }

    /// <summary>The plugin of <paramref name="kind"/> called <paramref name="name"/>, or null.</summary>
    public PluginDescriptor? Find(PluginKind kind, string name) => byName.GetValueOrDefault((kind, name));

    /// <summary>Names of every plugin of <paramref name="kind"/>, for listings and did-you-mean.</summary>
    public IEnumerable<string> Names(PluginKind kind) => byName.Keys.Where(k => k.Item1 == kind).Select(k => k.Item2).Order(StringComparer.Ordinal);

    /// <summary>Builds plugin <paramref name="name"/> of the kind <typeparamref name="T"/> stands for, with its options.</summary>
    public T Create<T>(string name, PluginOptions? options = null) where T : class, IPlugin
    {
        var kind = PluginKinds.Interfaces[typeof(T)];
        var d = Find(kind, name) ?? throw new KeyNotFoundException($"no {kind.Yaml()} plugin named '{name}'");
        options ??= (PluginOptions)Activator.CreateInstance(d.OptionsType)!;
        if (!d.OptionsType.IsInstanceOfType(options))
            throw new ArgumentException($"{d.Id} takes {d.OptionsType.Name}, not {options.GetType().Name}");
        Parameter[] parameters = d.OptionsType == typeof(NoOptions) ? [] : [new TypedParameter(d.OptionsType, options)];
        return container.ResolveKeyed<T>(name, parameters);
    }

    public void Dispose() => container.Dispose();
}
