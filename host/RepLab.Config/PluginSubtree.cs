namespace RepLab.Config;

/// <summary>Reads the plugin name of a plugin subtree (<c>{ plugin: simclr, temperature: 0.5 }</c>) and binds the rest.</summary>
public static class PluginSubtree
{
    /// <summary>The key that names the plugin inside its subtree.</summary>
    public const string PluginKey = "plugin";

    private static readonly IReadOnlySet<string> Ignored = new HashSet<string> { PluginKey };

    /// <summary>The plugin named by <paramref name="node"/>, checked against the known names.</summary>
    /// <param name="node">The subtree.</param>
    /// <param name="keyPath">The subtree's key path, for messages.</param>
    /// <param name="known">The registered plugin names of this kind.</param>
    /// <param name="kind">The kind in words ("method", "encoder"), for messages.</param>
    /// <param name="unknownHint">Appended to the message when the name is unknown: what the loader knows that may explain it (a plugin class without its attribute, an assembly that did not load).</param>
    /// <exception cref="ConfigException">When the subtree is not a map, has no <c>plugin</c> key, or names an unknown plugin.</exception>
    public static string PluginName(ConfigNode node, string keyPath, IReadOnlyCollection<string> known, string kind, string unknownHint = "")
    {
        var names = string.Join(", ", known.Order(StringComparer.Ordinal));
        if (node is not ConfigMap map)
            throw ConfigException.At(node.Location, keyPath, $"expected a map with '{PluginKey}: <{kind}>' (one of: {names}), got {node.Describe()}");
        var value = map[PluginKey];
        if (value is null)
            throw ConfigException.At(map.Location, keyPath, $"missing key '{PluginKey}'; expected the name of a {kind}, one of: {names}");
        var pluginPath = KeyPath.Append(keyPath, PluginKey);
        if (value is not ConfigScalar { IsString: true } scalar)
            throw ConfigException.At(value.Location, pluginPath, $"expected the name of a {kind} (one of: {names}), got {value.Describe()}");
        if (!known.Contains(scalar.Value))
        {
            throw ConfigException.At(value.Location, pluginPath,
                $"unknown {kind} '{scalar.Value}'{DidYouMean.Hint(scalar.Value, known)}; expected one of: {names}{unknownHint}");
        }
        return scalar.Value;
    }

    /// <summary>Binds the subtree, less its <c>plugin</c> key, to <paramref name="optionsType"/>.</summary>
    public static object BindOptions(Type optionsType, ConfigNode node, string keyPath) =>
        OptionsBinder.Bind(optionsType, node, keyPath, Ignored);
}
