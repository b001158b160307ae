using RepLab.Abstractions;

namespace RepLab.Host.Tests;

/// <summary>Built-in plugins made through the registry with options set by property name, as the host binds them.</summary>
public static class BuiltIn
{
    /// <summary>The default options of plugin <paramref name="name"/> with <paramref name="settings"/> applied (enums by member name).</summary>
    public static PluginOptions Options(PluginKind kind, string name, params (string key, object value)[] settings)
    {
        var d = Repo.BuiltIns.Find(kind, name) ?? throw new KeyNotFoundException($"{kind.Yaml()}/{name}");
        var options = (PluginOptions)Activator.CreateInstance(d.OptionsType)!;
        foreach (var (key, value) in settings)
        {
            var p = d.OptionsType.GetProperty(key) ?? throw new KeyNotFoundException($"{d.OptionsType.Name}.{key}");
            p.SetValue(options, value is string s && p.PropertyType.IsEnum ? Enum.Parse(p.PropertyType, s, ignoreCase: true) : value);
        }
        return options;
    }

    /// <summary>Plugin <paramref name="name"/> of the kind <typeparamref name="T"/> stands for, with <paramref name="settings"/>.</summary>
    public static T Create<T>(string name, params (string key, object value)[] settings) where T : class, IPlugin =>
        Repo.BuiltIns.Create<T>(name, Options(PluginKinds.Interfaces[typeof(T)], name, settings));
}
